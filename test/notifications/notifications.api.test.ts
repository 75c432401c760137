import type { Notification } from '@plaza/client/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { notify } from '../../server/notifications/notifications.service.ts';
import { type ErrorReply, type Harness, startHarness } from '../events/events-harness.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { createUser, type TestUser } from '../helpers/factories.ts';

let ctx: TestContext;
let h: Harness;

beforeAll(async () => {
  ctx = await createTestContext();
  h = startHarness(ctx);
});
afterAll(async () => {
  await h.close();
  await ctx.close();
});

type NotificationPage = { items: Notification[]; nextCursor: string | null; unreadCount: number };

async function give(user: TestUser, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    await ctx.db
      .transaction()
      .execute((trx) => notify(trx, { userId: user.id, type: 'follow', title: `n${i}`, body: '', url: '/' }));
  }
}

const unreadInDb = async (userId: string) =>
  (
    await ctx.db
      .selectFrom('notifications')
      .select('id')
      .where('user_id', '=', userId)
      .where('read_at', 'is', null)
      .execute()
  ).length;

describe('the notifications inbox', () => {
  it('lists newest first in keyset pages with the unread count', async () => {
    const user = await createUser(ctx.db);
    await give(user, 5);
    const titles: string[] = [];
    let cursor: string | null = null;
    do {
      const [status, page]: [number, NotificationPage] = await h.json<NotificationPage>(
        'GET',
        `/notifications?limit=2${cursor ? `&cursor=${cursor}` : ''}`,
        user,
      );
      expect(status).toBe(200);
      expect(page.unreadCount).toBe(5);
      titles.push(...page.items.map((n) => n.title));
      cursor = page.nextCursor;
    } while (cursor);
    expect(titles).toEqual(['n4', 'n3', 'n2', 'n1', 'n0']);
  });

  it('marks one read (own only, idempotent) and filters unread', async () => {
    const user = await createUser(ctx.db);
    const other = await createUser(ctx.db);
    await give(user, 3);
    const [, page] = await h.json<NotificationPage>('GET', '/notifications', user);
    const target = page.items[1]!;

    expect((await h.json<ErrorReply>('POST', `/notifications/${target.id}/read`, other))[0]).toBe(404);
    expect(await unreadInDb(user.id)).toBe(3);

    expect((await h.json('POST', `/notifications/${target.id}/read`, user))[0]).toBe(204);
    const { read_at: firstRead } = await ctx.db
      .selectFrom('notifications')
      .select('read_at')
      .where('id', '=', target.id)
      .executeTakeFirstOrThrow();
    expect(firstRead).not.toBeNull();
    expect((await h.json('POST', `/notifications/${target.id}/read`, user))[0]).toBe(204);
    const { read_at: secondRead } = await ctx.db
      .selectFrom('notifications')
      .select('read_at')
      .where('id', '=', target.id)
      .executeTakeFirstOrThrow();
    expect(secondRead).toEqual(firstRead);

    const [, unread] = await h.json<NotificationPage>('GET', '/notifications?unread=true', user);
    expect(unread.unreadCount).toBe(2);
    expect(unread.items.map((n) => n.id)).not.toContain(target.id);
    expect(unread.items).toHaveLength(2);

    const [missing, body] = await h.json<ErrorReply>(
      'POST',
      '/notifications/0190a000-0000-7000-8000-000000000000/read',
      user,
    );
    expect(missing).toBe(404);
    expect(body.error.code).toBe('not_found');
  });

  it('marks all read with 204, touching only the caller', async () => {
    const user = await createUser(ctx.db);
    const other = await createUser(ctx.db);
    await give(user, 3);
    await give(other, 2);
    expect((await h.json('POST', '/notifications/read-all', user))[0]).toBe(204);
    expect(await unreadInDb(user.id)).toBe(0);
    expect(await unreadInDb(other.id)).toBe(2);
    const [, page] = await h.json<NotificationPage>('GET', '/notifications', user);
    expect(page.unreadCount).toBe(0);
    expect(page.items.every((n) => n.readAt !== null)).toBe(true);
  });

  it('answers anonymous callers 401 and bad input 400 in the contract shape', async () => {
    const [status, body] = await h.json<ErrorReply>('GET', '/notifications', null);
    expect(status).toBe(401);
    expect(body.error.code).toBe('unauthenticated');
    const user = await createUser(ctx.db);
    const [bad, badBody] = await h.json<ErrorReply>('GET', '/notifications?unread=maybe', user);
    expect(bad).toBe(400);
    expect(badBody.error.code).toBe('validation_failed');
    const [badCursor] = await h.json<ErrorReply>('GET', '/notifications?cursor=nope', user);
    expect(badCursor).toBe(400);
  });
});
