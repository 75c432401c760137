// The waker turns commits into one Redis message per event-loop turn (or a direct call while this
// process leads); the leader also polls for events whose writer woke nobody.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeRedis, createRedis } from '../../server/lib/redis.ts';
import { RelayWaker, relayWakeChannel } from '../../server/realtime/relay-waker.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { fakePost } from '../helpers/fixtures.ts';
import { connectLive } from '../helpers/live.ts';
import { type PlazaProcess, startServer, stopAll } from '../helpers/processes.ts';
import { sleep, waitFor } from '../helpers/wait.ts';

let ctx: TestContext;
let checker: pg.Client;

beforeAll(async () => {
  ctx = await createTestContext();
  checker = new pg.Client({ connectionString: ctx.databaseUrl });
  await checker.connect();
});

afterAll(async () => {
  await checker.end();
  await ctx.close();
});

describe('relay waker', () => {
  /** A waker on its own connection, and a count of the wake-up messages a subscriber hears. */
  async function withWaker(test: (waker: RelayWaker, heard: () => number) => Promise<void>): Promise<void> {
    const publisher = createRedis(ctx.redisUrl, 'commands', 'test-waker-pub');
    const subscriber = createRedis(ctx.redisUrl, 'blocking', 'test-waker-sub');
    try {
      let heard = 0;
      subscriber.on('message', () => heard++);
      await subscriber.subscribe(relayWakeChannel(ctx.redisPrefix));
      await test(new RelayWaker(publisher, ctx.redisPrefix), () => heard);
    } finally {
      await closeRedis(publisher);
      await closeRedis(subscriber);
    }
  }

  it('sends one message for all the commits of one event-loop turn', () =>
    withWaker(async (waker, heard) => {
      for (let i = 0; i < 50; i++) waker.eventsCommitted();
      await waitFor(async () => heard() >= 1, { what: 'a wake-up message' });
      await sleep(100);
      expect(heard()).toBe(1);
      waker.eventsCommitted();
      await waitFor(async () => heard() >= 2, { what: 'the next turn’s message' });
    }));

  it('calls the relay of its own process directly while it leads, and Redis otherwise', () =>
    withWaker(async (waker, heard) => {
      const local = { isLeader: true, woken: 0, wake() {} };
      local.wake = () => {
        local.woken++;
      };
      waker.attach(local);
      waker.eventsCommitted();
      waker.eventsCommitted();
      await sleep(100);
      expect(local.woken).toBe(2);
      expect(heard()).toBe(0);
      local.isLeader = false;
      waker.eventsCommitted();
      await waitFor(async () => heard() === 1, { what: 'a message once not leading' });
      expect(local.woken).toBe(2);
    }));
});

describe('relay without a wake-up', () => {
  let server: PlazaProcess;
  afterAll(async () => {
    await stopAll([server]);
  });

  it('still delivers an event written by a client that wakes nobody (the fallback poll)', async () => {
    server = await startServer(ctx.env, 'server-poll');
    const client = await connectLive({ url: server.url, topics: ['feed'] });
    await checker.query(
      "insert into event_log (topic, type, rooms, data) values ('feed', 'post:created', '{feed}', $1::jsonb)",
      [JSON.stringify({ post: fakePost('from psql') })],
    );
    await client.waitForCount(1);
    expect(client.pushes[0]?.type === 'post:created' && client.pushes[0].data.post.body).toBe('from psql');
    client.close();
  });
});
