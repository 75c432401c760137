import type { Post } from '@plaza/client/protocol';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { createUser } from '../helpers/factories.ts';
import { connectLive, type Recorder } from '../helpers/live.ts';
import { type PlazaProcess, startServer, stopAll } from '../helpers/processes.ts';
import { type Balancer, startBalancer } from '../helpers/tcp-balancer.ts';
import { waitFor } from '../helpers/wait.ts';
import { newestSeq, writePost } from './feed-live.ts';

let ctx: TestContext;
let a: PlazaProcess;
let b: PlazaProcess;
let balancer: Balancer | undefined;
const clients: Recorder[] = [];

const isLeader = async (p: PlazaProcess) =>
  ((await (await fetch(`${p.url}/health`)).json()) as { relayLeader: boolean }).relayLeader;

beforeAll(async () => {
  // 300 posts by one author in seconds: lift the per-user limit for this suite.
  ctx = await createTestContext({ POSTS_PER_MINUTE: '100000' });
  a = await startServer(ctx.env, 'resume-a');
  await waitFor(() => isLeader(a), { what: 'instance A to lead the relay' });
  b = await startServer(ctx.env, 'resume-b');
});

afterAll(async () => {
  for (const c of clients) c.close();
  await balancer?.close();
  await stopAll([a, b]);
  await ctx.close();
});

describe('resume under loss', () => {
  it('three feed clients on a killed instance reconnect elsewhere and end with every post exactly once, in seq order', async () => {
    const author = await createUser(ctx.db);
    // All three start on B; once B is gone, the balancer's next backend that accepts is A.
    balancer = await startBalancer([b.port]);
    for (let i = 0; i < 3; i++) clients.push(await connectLive({ url: balancer.url, topics: ['feed'] }));
    balancer.setBackends([b.port, a.port]);
    const baseline = await newestSeq(ctx.db);

    const total = 300;
    const inFlight = 10;
    let next = 0;
    let written = 0;
    let atKill: number[] = [];
    const writers = Array.from({ length: inFlight }, async () => {
      while (next < total) {
        const i = next++;
        await writePost(a.url, author, `post ${i}`);
        written++;
        if (written === total / 2) {
          atKill = clients.map((c) => c.pushes.length);
          void b.kill();
        }
      }
    });
    await Promise.all(writers);
    expect((await b.exited).signal).toBe('SIGKILL');
    // B died mid-stream: no client had everything when it went.
    expect(atKill).toHaveLength(3);
    expect(atKill.every((n) => n < total)).toBe(true);

    const logged = await waitFor(
      async () => {
        const { rows } = await sql<{ seq: number; body: string }>`
          select seq, data->'post'->>'body' as body from event_log
          where type = 'post:created' and seq > ${baseline} order by seq`.execute(ctx.db);
        return rows.length === total ? rows : null;
      },
      { what: 'every post relayed', timeoutMs: 20_000 },
    );
    expect(new Set(logged.map((r) => r.body)).size).toBe(total);

    for (const client of clients) {
      await client.waitForCount(total, 30_000);
      const created = client.pushes.filter((p) => p.type === 'post:created');
      expect(created.map((p) => p.seq)).toEqual(logged.map((r) => r.seq));
      expect(created.map((p) => (p.data as { post: Post }).post.body)).toEqual(logged.map((r) => r.body));
      // The loss was real: the client went through a reconnect and resumed.
      expect(client.live.status).toBe('resumed');
    }
  });
});
