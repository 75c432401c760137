// Fault 1: SIGKILL of the leading instance under a steady REST write load. Its SDK clients reconnect
// through the load balancer to the survivors and resume: counted, no push lost and none delivered twice.
import { createClient, type PlazaClient } from '@plaza/client';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { createUser } from '../helpers/factories.ts';
import { connectLive, type Recorder } from '../helpers/live.ts';
import { type PlazaProcess, startServer, stopAll } from '../helpers/processes.ts';
import { type Balancer, startBalancer } from '../helpers/tcp-balancer.ts';
import { waitFor } from '../helpers/wait.ts';
import { errorLines, inPool } from './fault-harness.ts';

const CLIENTS = 24;
const WRITERS = 4;
const POSTS = 300;
const IN_FLIGHT = 8;
const KILL_AT = 100;

let ctx: TestContext;
let servers: PlazaProcess[];
let balancer: Balancer;
const recorders: Recorder[] = [];

beforeAll(async () => {
  ctx = await createTestContext({ POSTS_PER_MINUTE: '100000' });
  servers = await Promise.all([
    startServer(ctx.env, 'loss-a'),
    startServer(ctx.env, 'loss-b'),
    startServer(ctx.env, 'loss-c'),
  ]);
  balancer = await startBalancer(servers.map((s) => s.port));
});

afterAll(async () => {
  for (const r of recorders) r.close();
  await balancer?.close();
  await stopAll(servers ?? []);
  await ctx?.close();
});

async function leader(): Promise<PlazaProcess> {
  return waitFor(
    async () => {
      for (const s of servers) {
        if (s.exit) continue;
        const health = (await (await fetch(`${s.url}/health`)).json()) as { relayLeader: boolean };
        if (health.relayLeader) return s;
      }
      return null;
    },
    { what: 'a relay leader' },
  );
}

describe('instance loss under write load', () => {
  it('SIGKILL of the leading instance: every SDK client gets every post:created exactly once, in order', async () => {
    const viewer = await createUser(ctx.db);
    for (let i = 0; i < CLIENTS; i++) {
      // Half signed in (they also have `me`), half anonymous; all through the balancer (round robin).
      recorders.push(
        await connectLive({ url: balancer.url, token: i % 2 ? viewer.token : undefined, topics: ['feed'] }),
      );
    }
    const writers: PlazaClient[] = await Promise.all(
      Array.from({ length: WRITERS }, async () => {
        const user = await createUser(ctx.db);
        return createClient({ url: balancer.url, token: user.token });
      }),
    );
    const { rows } = await sql<{ seq: number }>`select coalesce(max(seq), 0) as seq from event_log`.execute(
      ctx.db,
    );
    const since = rows[0]!.seq;

    const victim = await leader();
    let sent = 0;
    let failedWrites = 0;
    let killed: Promise<unknown> | null = null;
    const started = Date.now();
    await inPool(POSTS, IN_FLIGHT, async (i) => {
      try {
        await writers[i % WRITERS]!.posts.create(`load post #${i}`);
      } catch {
        // A request in flight on the killed instance: its outcome is whatever the database says.
        failedWrites++;
      }
      if (++sent === KILL_AT && !killed) {
        killed = victim.kill();
        balancer.setBackends(servers.filter((s) => s !== victim).map((s) => s.port));
      }
    });
    await killed;
    const writeMs = Date.now() - started;

    // The truth: every post:created the database committed on `feed` after the start, in seq order.
    const expected = await waitFor(
      async () => {
        const { rows: pending } = await sql<{ n: number }>`
          select count(*) as n from event_log where seq is null`.execute(ctx.db);
        if (pending[0]!.n > 0) return null;
        const { rows: logged } = await sql<{ seq: number }>`
          select seq from event_log where topic = 'feed' and type = 'post:created' and seq > ${since}
          order by seq`.execute(ctx.db);
        return logged.map((r) => r.seq);
      },
      { timeoutMs: 20_000, what: 'every event relayed' },
    );
    expect(expected.length).toBeGreaterThanOrEqual(POSTS - failedWrites);
    expect(expected.length).toBeLessThanOrEqual(POSTS);

    const feedSeqs = (r: Recorder) => r.pushes.filter((p) => p.type === 'post:created').map((p) => p.seq);
    await waitFor(() => recorders.every((r) => feedSeqs(r).length >= expected.length), {
      timeoutMs: 30_000,
      what: 'every client to catch up',
    });
    let lost = 0;
    let duplicates = 0;
    let rawDuplicates = 0;
    for (const r of recorders) {
      const got = feedSeqs(r);
      const gotSet = new Set(got);
      lost += expected.filter((seq) => !gotSet.has(seq)).length;
      duplicates += got.length - gotSet.size;
      const raw = r.raw.filter((p) => p.type === 'post:created').map((p) => p.seq);
      rawDuplicates += raw.length - new Set(raw).size;
      // In order, too: the SDK delivers by seq.
      expect(got).toEqual([...got].sort((a, b) => a - b));
    }
    const moved = recorders.filter((r) => r.live.status === 'resumed').length;
    console.log(
      `instance loss: ${expected.length} posts (${failedWrites} writes failed at the kill) in ${writeMs} ms; ` +
        `${moved}/${CLIENTS} clients resumed elsewhere; lost ${lost}, duplicates delivered ${duplicates}, ` +
        `duplicates on the wire (dropped by the SDK) ${rawDuplicates}`,
    );
    expect(lost).toBe(0);
    expect(duplicates).toBe(0);
    // About a third of the clients were on the victim; they must have moved and resumed.
    expect(moved).toBeGreaterThan(0);
    expect(recorders.every((r) => r.live.socket.connected)).toBe(true);
    expect(victim.exit?.signal).toBe('SIGKILL');
    const survivors = servers.filter((s) => s !== victim);
    expect(survivors.every((s) => s.exit === null)).toBe(true);
    expect(errorLines(survivors)).toEqual([]);
  }, 120_000);
});
