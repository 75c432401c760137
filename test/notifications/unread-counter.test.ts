// The unread counter (migrations/0022) against the rows it counts: exact after concurrent notifies, dedupe
// repeats and marks racing each other, the number pushed and listed, and the migration's backfill.
import type { Notification } from '@plaza/client/protocol';
import { type Kysely, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backfillUnreadCounters } from '../../migrations/0022_unread_counter.ts';
import { createDb, type Db } from '../../server/db/database.ts';
import { markAllRead, markRead } from '../../server/notifications/notifications.repository.ts';
import { type NewNotification, notify } from '../../server/notifications/notifications.service.ts';
import { type Harness, startHarness } from '../events/events-harness.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { createUser, type TestUser } from '../helpers/factories.ts';

let ctx: TestContext;
let h: Harness;
// A second pool: the burst runs on up to 15 connections at once.
let wide: Db;

beforeAll(async () => {
  ctx = await createTestContext();
  h = startHarness(ctx);
  wide = createDb({ url: ctx.databaseUrl, poolSize: 10, applicationName: 'plaza-test-unread' });
});
afterAll(async () => {
  await wide.destroy();
  await h.close();
  await ctx.close();
});

type UnreadPush = { notification: Notification; unreadCount: number };

const dbs = (): Db[] => [ctx.db, wide];

const note = (user: TestUser, i: number, dedupeKey?: string): NewNotification => ({
  userId: user.id,
  type: 'follow',
  title: `n${i}`,
  body: '',
  url: '/',
  dedupeKey,
});

const give = (db: Db, input: NewNotification) => db.transaction().execute((trx) => notify(trx, input));

async function counterOf(userId: string): Promise<number | null> {
  const row = await ctx.db
    .selectFrom('notification_counters')
    .select('unread')
    .where('user_id', '=', userId)
    .executeTakeFirst();
  return row?.unread ?? null;
}

async function unreadRows(userId: string): Promise<number> {
  const { rows } = await sql<{ n: number }>`
    select count(*)::integer as n from notifications where user_id = ${userId} and read_at is null`.execute(
    ctx.db,
  );
  return rows[0]!.n;
}

async function pushesOf(userId: string): Promise<UnreadPush[]> {
  const rows = await ctx.db
    .selectFrom('event_log')
    .select('data')
    .where('type', '=', 'notification:created')
    .where(sql<boolean>`rooms = array[${`user:${userId}`}]::text[]`)
    .orderBy('id')
    .execute();
  return rows.map((r) => r.data as UnreadPush);
}

describe('the unread counter', () => {
  it('counts 50 concurrent notifies from many connections exactly once each, dedupe repeats not at all', async () => {
    const ada = await createUser(ctx.db);
    // 40 distinct notifications and 10 repeats of 5 dedupe keys (each key sent 3 times: 5 new rows).
    const inputs: NewNotification[] = [];
    for (let i = 0; i < 35; i++) inputs.push(note(ada, i));
    for (let k = 0; k < 5; k++) for (let r = 0; r < 3; r++) inputs.push(note(ada, 100 + k, `burst:${k}`));
    expect(inputs).toHaveLength(50);
    const created = await Promise.all(inputs.map((input, i) => give(dbs()[i % 2]!, input)));
    const stored = created.filter((n) => n !== null);
    expect(stored).toHaveLength(40);

    expect(await unreadRows(ada.id)).toBe(40);
    expect(await counterOf(ada.id)).toBe(40);
    // Each push counts its own notification under the counter's row lock: 1…40, each once, whatever the
    // order the transactions committed in.
    const pushes = await pushesOf(ada.id);
    expect(pushes.map((p) => p.unreadCount).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 40 }, (_, i) => i + 1),
    );
    expect(new Set(pushes.map((p) => p.notification.id))).toEqual(new Set(stored.map((n) => n.id)));
  });

  it('stays equal to the unread rows through notifies, repeats, marks of one and of all racing, and is what the push and the list say', async () => {
    const [ada, bob] = await Promise.all([createUser(ctx.db), createUser(ctx.db)]);
    const seeded: Notification[] = [];
    for (let i = 0; i < 12; i++) seeded.push((await give(ctx.db, note(ada, i)))!);
    for (let i = 0; i < 4; i++) await give(ctx.db, note(bob, i));

    const work: Array<() => Promise<unknown>> = [];
    for (let i = 0; i < 30; i++)
      work.push(() => give(wide, note(ada, 200 + i, i % 3 === 0 ? 'race:a' : undefined)));
    for (let i = 0; i < 10; i++)
      work.push(() => give(wide, note(bob, 300 + i, i % 2 ? 'race:b' : undefined)));
    // Every seeded notification marked read twice at once: the counter drops once per row.
    for (const n of seeded.slice(0, 8)) {
      work.push(() => markRead(ctx.db, ada.id, n.id));
      work.push(() => markRead(wide, ada.id, n.id));
    }
    work.push(() => markAllRead(ctx.db, bob.id));
    work.push(() => markAllRead(wide, bob.id));
    work.push(() => markAllRead(ctx.db, ada.id));
    // Interleaved so that marks run while notifies are in flight.
    const shuffled = work.map((w, i) => ({ w, k: (i * 37) % work.length })).sort((a, b) => a.k - b.k);
    await Promise.all(shuffled.map(({ w }) => w()));

    for (const user of [ada, bob]) expect(await counterOf(user.id)).toBe(await unreadRows(user.id));

    // Settled: one more notify's push and the inbox both give the counter.
    await give(ctx.db, note(ada, 999));
    const unread = await unreadRows(ada.id);
    expect(await counterOf(ada.id)).toBe(unread);
    expect((await pushesOf(ada.id)).at(-1)!.unreadCount).toBe(unread);
    const [status, page] = await h.json<{ unreadCount: number }>('GET', '/notifications?limit=1', ada);
    expect(status).toBe(200);
    expect(page.unreadCount).toBe(unread);

    // Marking read through the API moves it by one, once; all read goes to zero.
    const [, list] = await h.json<{ items: Notification[] }>(
      'GET',
      '/notifications?unread=true&limit=1',
      ada,
    );
    const target = list.items[0]!;
    const twice = await Promise.all([
      h.json('POST', `/notifications/${target.id}/read`, ada),
      h.json('POST', `/notifications/${target.id}/read`, ada),
    ]);
    expect(twice.map(([s]) => s)).toEqual([204, 204]);
    expect(await counterOf(ada.id)).toBe(unread - 1);
    expect((await h.json('POST', '/notifications/read-all', ada))[0]).toBe(204);
    expect(await counterOf(ada.id)).toBe(0);
    expect((await h.json<{ unreadCount: number }>('GET', '/notifications', ada))[1].unreadCount).toBe(0);
  });

  it("backfills every counter from the rows: a user's unread ones, zero for none", async () => {
    const [ada, bob, cyd] = await Promise.all([createUser(ctx.db), createUser(ctx.db), createUser(ctx.db)]);
    for (let i = 0; i < 5; i++) await give(ctx.db, note(ada, i));
    for (let i = 0; i < 2; i++) await give(ctx.db, note(bob, i));
    await markAllRead(ctx.db, bob.id);
    // Rows the counters never saw (as before the migration): one unread, one read, for cyd.
    await sql`
      insert into notifications (id, user_id, type, title, body, url, read_at)
      values (gen_random_uuid(), ${cyd.id}, 'follow', 'old', '', '/', null),
        (gen_random_uuid(), ${cyd.id}, 'follow', 'old read', '', '/', now())`.execute(ctx.db);
    // The counters reset and wrong: ada's gone, bob's off.
    await sql`delete from notification_counters where user_id = ${ada.id}`.execute(ctx.db);
    await sql`update notification_counters set unread = 7 where user_id = ${bob.id}`.execute(ctx.db);
    expect(await counterOf(cyd.id)).toBeNull();

    await backfillUnreadCounters(ctx.db as unknown as Kysely<unknown>);

    expect([await counterOf(ada.id), await counterOf(bob.id), await counterOf(cyd.id)]).toEqual([5, 0, 1]);
    const { rows } = await sql<{ user_id: string; unread: number; actual: number }>`
      select c.user_id, c.unread,
        (select count(*)::integer from notifications n where n.user_id = c.user_id and n.read_at is null) as actual
      from notification_counters c`.execute(ctx.db);
    expect(rows.filter((r) => r.unread !== r.actual)).toEqual([]);
    const { rows: uncounted } = await sql<{ user_id: string }>`
      select distinct user_id from notifications n where read_at is null
        and not exists (select from notification_counters c where c.user_id = n.user_id)`.execute(ctx.db);
    expect(uncounted).toEqual([]);
  });
});
