// Our Kysely driver: marked statements run prepared (once per connection), and commits that appended
// events call the relay's wake-up hook, after the commit and only then.
import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, type Db } from '../../server/db/database.ts';
import { prepared } from '../../server/db/plaza-dialect.ts';
import { appendEvent } from '../../server/realtime/event-log.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { fakePost } from '../helpers/fixtures.ts';
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
    poolSize: 1,
    applicationName: 'plaza-test-dialect',
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

describe('transactions', () => {
  it('supports controlled transactions with savepoints (rolled back to, released)', async () => {
    const name = `sp_${Date.now()}`;
    const trx = await db.startTransaction().execute();
    await sql`create temporary table ${sql.id(name)} (n int) on commit drop`.execute(trx);
    await sql`insert into ${sql.id(name)} values (1)`.execute(trx);
    const sp = await trx.savepoint('before_two').execute();
    await sql`insert into ${sql.id(name)} values (2)`.execute(sp);
    const back = await sp.rollbackToSavepoint('before_two').execute();
    const again = await back.savepoint('before_three').execute();
    await sql`insert into ${sql.id(name)} values (3)`.execute(again);
    const released = await again.releaseSavepoint('before_three').execute();
    const { rows } = await sql<{ n: number }>`select n from ${sql.id(name)} order by n`.execute(released);
    expect(rows.map((r) => r.n)).toEqual([1, 3]);
    await released.commit().execute();
  });
});

describe('prepared statements', () => {
  const preparedNames = async () =>
    (await sql<{ name: string }>`select name from pg_prepared_statements`.execute(db)).rows.map(
      (r) => r.name,
    );

  it('prepares marked SQL once per connection and reuses it; unmarked SQL is never prepared', async () => {
    const query = (n: number) =>
      sql<{ n: number }>`${sql.raw(prepared('test-echo', 'select'))} ${n}::int as n`.execute(db);
    expect((await query(1)).rows).toEqual([{ n: 1 }]);
    expect((await query(2)).rows).toEqual([{ n: 2 }]);
    await sql`select ${3}::int as n`.execute(db);
    const names = await preparedNames();
    // One pool connection: the marked text is prepared exactly once, under its name.
    expect(names.filter((name) => name.startsWith('test-echo-'))).toHaveLength(1);
    expect(names).toHaveLength(1);
  });

  it('keeps working inside transactions, and after one rolled back', async () => {
    await db
      .transaction()
      .execute(async (trx) => {
        await sql`${sql.raw(prepared('test-echo', 'select'))} ${4}::int as n`.execute(trx);
        throw new Error('abort');
      })
      .catch(() => {});
    const { rows } = await db
      .transaction()
      .execute((trx) =>
        sql<{ n: number }>`${sql.raw(prepared('test-echo', 'select'))} ${5}::int as n`.execute(trx),
      );
    expect(rows).toEqual([{ n: 5 }]);
  });
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
