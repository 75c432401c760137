import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { notify } from '../../server/notifications/notifications.service.ts';
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
});
