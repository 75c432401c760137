// Fault 3: the Redis of two instances and a worker is killed and restarted (empty) while events keep being
// committed. Everyone reconnects by themselves; /ready says so; nothing committed meanwhile is lost.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Queues } from '../../server/jobs/queues.ts';
import { closeRedis, createRedis } from '../../server/lib/redis.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { createUser } from '../helpers/factories.ts';
import { commitFeedEvent } from '../helpers/fixtures.ts';
import { connectLive, type Recorder } from '../helpers/live.ts';
import { type PlazaProcess, startServer, startWorkers, stopAll } from '../helpers/processes.ts';
import { type SmtpSink, startSmtpSink } from '../helpers/smtp-sink.ts';
import { sleep, waitFor } from '../helpers/wait.ts';
import { errorLines, type OwnRedis, startOwnRedis } from './fault-harness.ts';

let ctx: TestContext;
let redis: OwnRedis;
let sink: SmtpSink;
let servers: PlazaProcess[];
let workers: PlazaProcess;
const recorders: Recorder[] = [];

beforeAll(async () => {
  redis = await startOwnRedis();
  sink = await startSmtpSink();
  ctx = await createTestContext();
  const env = { ...ctx.env, REDIS_URL: redis.url };
  servers = await Promise.all([startServer(env, 'redis-a'), startServer(env, 'redis-b')]);
  workers = await startWorkers({ ...env, SMTP_URL: sink.url }, ['email']);
});

afterAll(async () => {
  for (const r of recorders) r.close();
  await stopAll([...(servers ?? []), workers]);
  await redis?.stop('SIGKILL');
  await sink?.close();
  await ctx?.close();
});

async function readiness(server: PlazaProcess): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${server.url}/ready`, { signal: AbortSignal.timeout(5_000) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function newestSeq(): Promise<number> {
  const { rows } = await sql<{ seq: number }>`select coalesce(max(seq), 0) as seq from event_log`.execute(
    ctx.db,
  );
  return rows[0]!.seq;
}

const bodies = (r: Recorder) =>
  r.pushes
    .filter((p) => p.type === 'post:created')
    .map((p) => (p.data as { post: { body: string } }).post.body);

describe('Redis outage', () => {
  it('is reported by /ready, survived by servers and workers, and loses no event committed meanwhile', async () => {
    const user = await createUser(ctx.db);
    for (const server of servers) {
      expect((await readiness(server)).status).toBe(200);
      recorders.push(await connectLive({ url: server.url, topics: ['feed'] }));
      recorders.push(await connectLive({ url: server.url, token: user.token, topics: ['feed'] }));
    }
    const since = await newestSeq();

    // A steady trickle of committed events before, during and after the outage.
    const committed: string[] = [];
    let writing = true;
    const writer = (async () => {
      for (let i = 0; writing; i++) {
        const body = `redis-outage #${i}`;
        await commitFeedEvent(ctx.db, body);
        committed.push(body);
        await sleep(40);
      }
    })();

    await waitFor(() => committed.length >= 20 && recorders.every((r) => bodies(r).length >= 10), {
      what: 'pushes before the outage',
    });
    await redis.stop('SIGKILL');
    const outageStarted = Date.now();
    const duringOutage = committed.length;

    for (const server of servers) {
      const down = await waitFor(
        async () => {
          const ready = await readiness(server);
          return ready.status === 503 ? ready : null;
        },
        { timeoutMs: 5_000, what: '/ready to report the outage' },
      );
      expect(down.body).toMatchObject({ error: { code: 'unavailable', details: { redis: 'down' } } });
      expect((down.body as { error: { details: { postgres: string } } }).error.details.postgres).toBe('up');
    }
    // Reads that need no Redis keep working (the API answers from PostgreSQL).
    const feed = await fetch(`${servers[0]!.url}/api/v1/posts`, { signal: AbortSignal.timeout(5_000) });
    expect([200, 503]).toContain(feed.status);

    // Long enough for the clients' reconnection back-off to spread out (ioredis waits up to 2 s).
    await sleep(4_000);
    const committedDuringOutage = committed.length - duringOutage;
    expect(committedDuringOutage).toBeGreaterThan(10);
    await redis.start();
    const outageMs = Date.now() - outageStarted;

    for (const server of servers) {
      await waitFor(async () => (await readiness(server)).status === 200, {
        timeoutMs: 15_000,
        what: `${server.name} ready again`,
      });
    }
    await sleep(500);
    writing = false;
    await writer;

    // Every committed event reaches every subscriber once Redis is back, once each.
    await waitFor(() => recorders.every((r) => bodies(r).length >= committed.length), {
      timeoutMs: 20_000,
      what: `every subscriber to get all ${committed.length} events (have ${recorders.map((r) => bodies(r).length).join(', ')})`,
    });
    for (const r of recorders) {
      expect(bodies(r)).toEqual(committed);
      expect(r.live.socket.connected).toBe(true);
    }

    // …and they are resumable: a client that was away replays them in order from before the outage.
    const late = await connectLive({ url: servers[1]!.url, topics: ['feed'], since });
    recorders.push(late);
    await late.waitForCount(committed.length);
    expect(bodies(late)).toEqual(committed);

    // The worker reconnected by itself: a job queued on the restarted (empty) Redis is delivered.
    const producer = createRedis(redis.url, 'commands', 'fault-test');
    const queues = new Queues(producer, ctx.redisPrefix);
    try {
      await queues.add('email', { to: 'after-outage@example.test', subject: 'back', text: 'Redis is back' });
      await sink.waitForMessage('after-outage@example.test', undefined, 20_000);
    } finally {
      await queues.close();
      await closeRedis(producer);
    }

    // REST writes (which need Redis for rate limits) work again too.
    const res = await fetch(`${servers[0]!.url}/api/v1/posts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${user.token}` },
      body: JSON.stringify({ body: 'after the outage' }),
    });
    expect(res.status).toBe(201);

    console.log(
      `redis outage of ${outageMs} ms: ${committedDuringOutage} events committed during it, ` +
        `${committed.length} in all, delivered to ${recorders.length} clients`,
    );
    expect([...servers, workers].every((p) => p.exit === null)).toBe(true);
    expect(errorLines([...servers, workers])).toEqual([]);
  }, 120_000);
});
