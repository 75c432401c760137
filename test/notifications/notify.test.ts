import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { markRead } from '../../server/notifications/notifications.repository.ts';
import {
  notificationRowToNotification,
  notify,
  notifyMany,
} from '../../server/notifications/notifications.service.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { createUser } from '../helpers/factories.ts';

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(async () => {
  await ctx.close();
});

describe('notify', () => {
  it('stores the notification and pushes it to the user with the unread count, once per dedupe key', async () => {
    const user = await createUser(ctx.db);
    const input = {
      userId: user.id,
      type: 'event_reminder' as const,
      title: 'Soon',
      body: 'Starts in an hour',
      url: '/events/x',
      dedupeKey: 'reminder:x',
    };
    const first = await ctx.db.transaction().execute((trx) => notify(trx, input));
    const again = await ctx.db.transaction().execute((trx) => notify(trx, input));
    const other = await ctx.db
      .transaction()
      .execute((trx) => notify(trx, { ...input, dedupeKey: undefined }));
    expect(first).toMatchObject({ type: 'event_reminder', title: 'Soon', readAt: null });
    expect(again).toBeNull();
    expect(other).not.toBeNull();

    const events = await ctx.db
      .selectFrom('event_log')
      .select(['type', 'topic', 'rooms', 'data'])
      .where('type', '=', 'notification:created')
      .orderBy('id')
      .execute();
    expect(events).toHaveLength(2);
    expect(events[0]).toMatchObject({ topic: 'me', rooms: [`user:${user.id}`] });
    expect((events[1]!.data as { unreadCount: number }).unreadCount).toBe(2);
  });

  it('notifies many in one go: pushes in order, each with the unread count as of itself, shaped like the API', async () => {
    const [ada, bob] = await Promise.all([createUser(ctx.db), createUser(ctx.db)]);
    const base = { type: 'comment' as const, title: 'New comment', url: '/posts/x' };
    // Ada has one unread and one read notification already.
    await ctx.db.transaction().execute((trx) => notify(trx, { ...base, userId: ada.id, body: 'old' }));
    const [read] = await ctx.db
      .transaction()
      .execute((trx) => notifyMany(trx, [{ ...base, userId: ada.id, body: 'read' }]));
    // Through the repository: it keeps the unread counter the pushes are counted from.
    expect(await markRead(ctx.db, ada.id, read!.id)).toBe(true);

    const bodies = ['a1', 'b1', 'a2', 'a3'];
    const created = await ctx.db.transaction().execute((trx) =>
      notifyMany(
        trx,
        bodies.map((body) => ({ ...base, userId: body.startsWith('a') ? ada.id : bob.id, body })),
      ),
    );
    expect(created.map((n) => n.body)).toEqual(bodies);

    const pushes = await ctx.db
      .selectFrom('event_log')
      .select(['rooms', 'data'])
      .where('type', '=', 'notification:created')
      .where(sql<boolean>`rooms && ${[`user:${ada.id}`, `user:${bob.id}`]}::text[]`)
      .orderBy('id')
      .execute();
    const data = pushes
      .slice(-4)
      .map((p) => p.data as { notification: { body: string }; unreadCount: number });
    expect(data.map((d) => [d.notification.body, d.unreadCount])).toEqual([
      ['a1', 2],
      ['b1', 1],
      ['a2', 3],
      ['a3', 4],
    ]);
    expect(pushes.slice(-4).map((p) => p.rooms)).toEqual([ada, bob, ada, ada].map((u) => [`user:${u.id}`]));
    // The push (built in SQL) carries exactly what the API returns for the stored row.
    const rows = await ctx.db
      .selectFrom('notifications')
      .selectAll()
      .where(
        'id',
        'in',
        created.map((n) => n.id),
      )
      .orderBy('id')
      .execute();
    expect(data.map((d) => d.notification)).toEqual(rows.map(notificationRowToNotification));
    expect(created).toEqual(rows.map(notificationRowToNotification));
  });
});
