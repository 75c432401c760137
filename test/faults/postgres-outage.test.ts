// Fault 4: PostgreSQL unreachable (a proxy the test controls drops every connection and refuses new
// ones). Requests fail fast with 503 `unavailable`, nothing crashes, and service comes back by itself.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { bearer, createUser, type TestUser } from '../helpers/factories.ts';
import { connectLive, type Recorder } from '../helpers/live.ts';
import { type PlazaProcess, startServer, stopAll } from '../helpers/processes.ts';
import { waitFor } from '../helpers/wait.ts';
import { errorLines, type PgProxy, startPgProxy } from './fault-harness.ts';

/** Fast enough for a user to see an error page instead of a spinner. */
const FAIL_FAST_MS = 5_000;

let ctx: TestContext;
let proxy: PgProxy;
let servers: PlazaProcess[];
const recorders: Recorder[] = [];

beforeAll(async () => {
  ctx = await createTestContext();
  proxy = await startPgProxy();
  const env = { ...ctx.env, DATABASE_URL: proxy.urlFor(ctx.databaseUrl) };
  servers = await Promise.all([startServer(env, 'pg-a'), startServer(env, 'pg-b')]);
});

afterAll(async () => {
  for (const r of recorders) r.close();
  await stopAll(servers ?? []);
  await proxy?.close();
  await ctx?.close();
});

interface Timed {
  status: number;
  ms: number;
  body: { error?: { code: string; message: string; details?: Record<string, unknown> } };
  html: string;
}

async function timed(url: string, init: RequestInit = {}): Promise<Timed> {
  const started = Date.now();
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(20_000) });
  const text = await res.text();
  const json = res.headers.get('content-type')?.includes('application/json');
  return {
    status: res.status,
    ms: Date.now() - started,
    body: json && text ? JSON.parse(text) : {},
    html: json ? '' : text,
  };
}

const postAs = (server: PlazaProcess, user: TestUser, body: string) =>
  timed(`${server.url}/api/v1/posts`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...bearer(user) },
    body: JSON.stringify({ body }),
  });

const isLeader = async (s: PlazaProcess) =>
  ((await (await fetch(`${s.url}/health`)).json()) as { relayLeader: boolean }).relayLeader;

describe('PostgreSQL outage', () => {
  it('answers 503 unavailable within seconds while the database is gone, and recovers by itself', async () => {
    const user = await createUser(ctx.db);
    const [a, b] = servers as [PlazaProcess, PlazaProcess];
    expect((await postAs(a, user, 'before the outage')).status).toBe(201);
    const watcher = await connectLive({ url: b.url, topics: ['feed'] });
    recorders.push(watcher);
    // Subscribed: its connection is complete (a socket reads whom it hides at connect, and is dropped when
    // that read fails; a cut racing that read would leave no socket to send the command below).
    const writer = await connectLive({ url: a.url, token: user.token, topics: ['feed'] });
    recorders.push(writer);
    await waitFor(async () => (await isLeader(a)) || (await isLeader(b)), { what: 'a relay leader' });

    await proxy.cut();

    const checks = await Promise.all([
      timed(`${a.url}/ready`),
      timed(`${b.url}/api/v1/posts?limit=19`),
      timed(`${a.url}/api/v1/me`, { headers: bearer(user) }),
      postAs(b, user, 'during the outage'),
      timed(`${a.url}/api/v1/users/${user.username}`),
      timed(`${b.url}/`),
    ]);
    for (const [i, check] of checks.entries()) {
      expect(check.ms, `request ${i} took ${check.ms} ms`).toBeLessThan(FAIL_FAST_MS);
      expect(check.status, `request ${i}: ${JSON.stringify(check.body)}`).toBe(503);
    }
    // The API speaks the contract; /ready names the one that is down.
    for (const check of checks.slice(0, 5)) expect(check.body.error?.code).toBe('unavailable');
    expect(checks[0]!.body.error?.details).toMatchObject({ postgres: 'down', redis: 'up' });
    // A person gets an HTML page that says so.
    expect(checks[5]!.html).toContain('Temporarily unavailable');

    // A socket command fails fast in the same words.
    const started = Date.now();
    const refused = await writer.live.command('post:create', { body: 'socket during the outage' }).then(
      () => null,
      (error: { code?: string }) => error,
    );
    expect(refused?.code).toBe('unavailable');
    expect(Date.now() - started).toBeLessThan(FAIL_FAST_MS);

    // Nobody crashed, and the relay let go of a leadership it can no longer hold.
    expect(servers.every((s) => s.exit === null)).toBe(true);
    await waitFor(async () => !(await isLeader(a)) && !(await isLeader(b)), {
      timeoutMs: 10_000,
      what: 'the relay to stand down',
    });

    await proxy.restore();
    const recoveredIn = Date.now();
    for (const s of servers) {
      await waitFor(async () => (await timed(`${s.url}/ready`)).status === 200, {
        timeoutMs: 15_000,
        what: `${s.name} ready again`,
      });
    }
    const after = await postAs(b, user, 'after the outage');
    expect(after.status).toBe(201);
    // The relay took leadership back: the new post reaches a live subscriber.
    await waitFor(
      () =>
        watcher.pushes.some(
          (p) =>
            p.type === 'post:created' &&
            (p.data as { post: { body: string } }).post.body === 'after the outage',
        ),
      { timeoutMs: 15_000, what: 'the post written after the outage to be pushed' },
    );
    expect((await isLeader(a)) || (await isLeader(b))).toBe(true);
    expect(await writer.live.command('post:create', { body: 'socket after the outage' })).toMatchObject({
      body: 'socket after the outage',
    });
    console.log(
      `postgres outage: 503 in ${checks.map((c) => c.ms).join('/')} ms; recovered ${Date.now() - recoveredIn} ms after the proxy accepted again`,
    );
    expect(servers.every((s) => s.exit === null)).toBe(true);
    expect(errorLines(servers)).toEqual([]);
  });
});

describe('PostgreSQL partition', () => {
  it('answers 503 within seconds when the database stops answering on open connections, and recovers', async () => {
    const user = await createUser(ctx.db);
    const [a, b] = servers as [PlazaProcess, PlazaProcess];
    await waitFor(async () => (await timed(`${a.url}/ready`)).status === 200, { what: 'ready' });
    // Warm the pools so that requests find open (soon silent) connections.
    await Promise.all(Array.from({ length: 6 }, () => timed(`${b.url}/api/v1/posts`)));
    const watcher = await connectLive({ url: a.url, topics: ['feed'] });
    recorders.push(watcher);

    proxy.freeze();
    // Reads that need the database: the warmed anonymous first page may still come from the seq-keyed
    // cache for its ~2 s lifetime (a consistent snapshot), so other page sizes are asked for.
    const checks = await Promise.all([
      timed(`${a.url}/ready`),
      timed(`${b.url}/api/v1/posts?limit=19`),
      timed(`${b.url}/api/v1/posts?limit=18`),
      timed(`${a.url}/api/v1/me`, { headers: bearer(user) }),
      postAs(b, user, 'during the partition'),
    ]);
    console.log(`partition: ${checks.map((c) => `${c.status} in ${c.ms} ms`).join(', ')}`);
    for (const [i, check] of checks.entries()) {
      expect(check.ms, `request ${i} took ${check.ms} ms`).toBeLessThan(FAIL_FAST_MS + 3_000);
      expect(check.status, `request ${i}: ${JSON.stringify(check.body)}`).toBe(503);
      expect(check.body.error?.code).toBe('unavailable');
    }
    await waitFor(async () => !(await isLeader(a)) && !(await isLeader(b)), {
      timeoutMs: 20_000,
      what: 'the relay to notice the silent database and stand down',
    });

    proxy.thaw();
    for (const s of servers) {
      await waitFor(async () => (await timed(`${s.url}/ready`)).status === 200, {
        timeoutMs: 15_000,
        what: `${s.name} ready again`,
      });
    }
    expect((await postAs(a, user, 'after the partition')).status).toBe(201);
    await waitFor(
      () =>
        watcher.pushes.some(
          (p) =>
            p.type === 'post:created' &&
            (p.data as { post: { body: string } }).post.body === 'after the partition',
        ),
      { timeoutMs: 20_000, what: 'the post written after the partition to be pushed' },
    );
    expect(servers.every((s) => s.exit === null)).toBe(true);
    expect(errorLines(servers)).toEqual([]);
  });
});
