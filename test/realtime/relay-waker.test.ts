// Writers wake the relay after commit: the dialect sees event_log inserts, the waker turns commits into
// one Redis message per event-loop turn (or a direct call while this process leads).
import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, type Db } from '../../server/db/database.ts';
import { closeRedis, createRedis } from '../../server/lib/redis.ts';
import { appendEvent } from '../../server/realtime/event-log.ts';
import { RelayWaker, relayWakeChannel } from '../../server/realtime/relay-waker.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { fakePost } from '../helpers/fixtures.ts';
import { connectLive } from '../helpers/live.ts';
import { type PlazaProcess, startServer, stopAll } from '../helpers/processes.ts';
import { sleep, waitFor } from '../helpers/wait.ts';

let ctx: TestContext;
let db: Db;
/** What the hook saw: for each call, whether the events it announced were visible to another session. */
const calls: boolean[] = [];
let checker: pg.Client;

const feedEvent = (body: string) =>
  ({ type: 'post:created', topic: 'feed', data: { post: fakePost(body) } }) as const;

async function visible(body: string): Promise<boolean> {
  const { rows } = await checker.query("select 1 from event_log where data->'post'->>'body' = $1", [body]);
  return rows.length > 0;
}

let lastBody = '';
beforeAll(async () => {
  ctx = await createTestContext();
  checker = new pg.Client({ connectionString: ctx.databaseUrl });
  await checker.connect();
  db = createDb({
    url: ctx.databaseUrl,
    poolSize: 3,
    applicationName: 'plaza-test-waker',
    onEventsCommitted: () => {
      // Runs after COMMIT returned: a second session must already see the row.
      void visible(lastBody).then((seen) => calls.push(seen));
    },
  });
});

afterAll(async () => {
  await db.destroy();
  await checker.end();
  await ctx.close();
});

describe('commit hook of the database', () => {
  it('fires once, after commit, for a transaction that appended events', async () => {
    calls.length = 0;
    lastBody = 'in a transaction';
    await db.transaction().execute(async (trx) => {
      await appendEvent(trx, feedEvent(lastBody));
      await appendEvent(trx, feedEvent(lastBody));
      await sleep(20);
      expect(calls).toEqual([]);
    });
    await waitFor(async () => calls.length === 1, { what: 'the hook' });
    expect(calls).toEqual([true]);
  });

  it('fires for an autocommit statement that inserts into event_log (raw SQL too)', async () => {
    calls.length = 0;
    lastBody = 'autocommit';
    await sql`insert into event_log (topic, type, rooms, data)
      values ('feed', 'post:created', '{feed}', ${JSON.stringify({ post: fakePost(lastBody) })}::jsonb)`.execute(
      db,
    );
    await waitFor(async () => calls.length === 1, { what: 'the hook' });
    expect(calls).toEqual([true]);
  });

  it('stays quiet for a rolled-back transaction and for one without events', async () => {
    calls.length = 0;
    await db
      .transaction()
      .execute(async (trx) => {
        await appendEvent(trx, feedEvent('rolled back'));
        throw new Error('abort');
      })
      .catch(() => {});
    await db.transaction().execute(async (trx) => {
      await sql`select 1`.execute(trx);
    });
    await db.selectFrom('users').select('id').execute();
    await sleep(100);
    expect(calls).toEqual([]);
  });
});

describe('relay waker', () => {
  it('sends one message for all the commits of one event-loop turn', async () => {
    const publisher = createRedis(ctx.redisUrl, 'commands', 'test-waker-pub');
    const subscriber = createRedis(ctx.redisUrl, 'blocking', 'test-waker-sub');
    try {
      let heard = 0;
      subscriber.on('message', () => heard++);
      await subscriber.subscribe(relayWakeChannel(ctx.redisPrefix));
      const waker = new RelayWaker(publisher, ctx.redisPrefix);
      for (let i = 0; i < 50; i++) waker.eventsCommitted();
      await waitFor(async () => heard >= 1, { what: 'a wake-up message' });
      await sleep(100);
      expect(heard).toBe(1);
      waker.eventsCommitted();
      await waitFor(async () => heard >= 2, { what: 'the next turn’s message' });
    } finally {
      await closeRedis(publisher);
      await closeRedis(subscriber);
    }
  });

  it('calls the relay of its own process directly while it leads, and Redis otherwise', async () => {
    const publisher = createRedis(ctx.redisUrl, 'commands', 'test-waker-pub');
    const subscriber = createRedis(ctx.redisUrl, 'blocking', 'test-waker-sub');
    try {
      let heard = 0;
      subscriber.on('message', () => heard++);
      await subscriber.subscribe(relayWakeChannel(ctx.redisPrefix));
      const local = { isLeader: true, woken: 0, wake() {} };
      local.wake = () => {
        local.woken++;
      };
      const waker = new RelayWaker(publisher, ctx.redisPrefix);
      waker.attach(local);
      waker.eventsCommitted();
      waker.eventsCommitted();
      await sleep(100);
      expect(local.woken).toBe(2);
      expect(heard).toBe(0);
      local.isLeader = false;
      waker.eventsCommitted();
      await waitFor(async () => heard === 1, { what: 'a message once not leading' });
      expect(local.woken).toBe(2);
    } finally {
      await closeRedis(publisher);
      await closeRedis(subscriber);
    }
  });
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
