// Creating notifications: one row and one `notification:created` push to the user's `me`, in the caller's transaction.
import type { Notification, NotificationType } from '@plaza/client/protocol';
import { userRoom } from '../auth/actor.ts';
import type { Trx } from '../db/database.ts';
import type { NotificationRow } from '../db/schema.ts';
import { newId } from '../lib/ids.ts';
import { appendEvent } from '../realtime/event-log.ts';

export interface NewNotification {
  userId: string;
  type: NotificationType;
  title: string;
  body: string;
  /** Where the notification leads in the pages, e.g. `/posts/<id>`. */
  url: string;
  /** Same key for the same user → created once, whatever retries happen (reminders, settlements). */
  dedupeKey?: string;
}

export const notificationRowToNotification = (row: NotificationRow): Notification => ({
  id: row.id,
  type: row.type,
  title: row.title,
  body: row.body,
  url: row.url,
  createdAt: row.created_at.toISOString(),
  readAt: row.read_at ? row.read_at.toISOString() : null,
});

/** Creates the notification and its push; null when the dedupe key was used before. */
export async function notify(trx: Trx, input: NewNotification): Promise<Notification | null> {
  const row = await trx
    .insertInto('notifications')
    .values({
      id: newId(),
      user_id: input.userId,
      type: input.type,
      title: input.title.slice(0, 200),
      body: input.body.slice(0, 1_000),
      url: input.url,
      dedupe_key: input.dedupeKey ?? null,
    })
    .onConflict((oc) => oc.columns(['user_id', 'dedupe_key']).where('dedupe_key', 'is not', null).doNothing())
    .returningAll()
    .executeTakeFirst();
  if (!row) return null;
  const notification = notificationRowToNotification(row);
  await appendEvent(trx, {
    type: 'notification:created',
    topic: 'me',
    rooms: [userRoom(input.userId)],
    data: { notification, unreadCount: await countUnread(trx, input.userId) },
  });
  return notification;
}

export async function countUnread(trx: Trx, userId: string): Promise<number> {
  const { n } = await trx
    .selectFrom('notifications')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('user_id', '=', userId)
    .where('read_at', 'is', null)
    .executeTakeFirstOrThrow();
  return n;
}
