// Creating notifications (one row and one `notification:created` push to the user's `me`, in the caller's
// transaction) and reading them: pages newest first with the unread count, marking read.
import type { Notification, NotificationType, Page } from '@plaza/client/protocol';
import type { Actor } from '../auth/actor.ts';
import { userRoom } from '../auth/actor.ts';
import type { Executor, Trx } from '../db/database.ts';
import type { NotificationRow } from '../db/schema.ts';
import type { Deps } from '../deps.ts';
import { notFound, unauthenticated } from '../lib/errors.ts';
import { newId } from '../lib/ids.ts';
import { toPage } from '../lib/pagination.ts';
import { decodeTimeCursor, timeKeyOf } from '../lib/time-cursor.ts';
import { appendEvents, type NewEvent } from '../realtime/event-log.ts';
import { listNotificationPage, markAllRead, markRead } from './notifications.repository.ts';
import type { NotificationListQuery, ReadNotificationInput } from './notifications.schema.ts';

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
  return (await notifyMany(trx, [input]))[0] ?? null;
}

/**
 * notify() for many at once, in three statements whatever their number (settlements notify per
 * batch). Each push carries the unread count as of its own notification. Deduped ones are skipped.
 */
export async function notifyMany(trx: Trx, inputs: readonly NewNotification[]): Promise<Notification[]> {
  if (inputs.length === 0) return [];
  const inserted = await trx
    .insertInto('notifications')
    .values(
      inputs.map((input) => ({
        id: newId(),
        user_id: input.userId,
        type: input.type,
        title: input.title.slice(0, 200),
        body: input.body.slice(0, 1_000),
        url: input.url,
        dedupe_key: input.dedupeKey ?? null,
      })),
    )
    .onConflict((oc) => oc.columns(['user_id', 'dedupe_key']).where('dedupe_key', 'is not', null).doNothing())
    .returningAll()
    .execute();
  if (inserted.length === 0) return [];
  // UUIDv7 ids were made in input order.
  const rows = inserted.sort((a, b) => (a.id < b.id ? -1 : 1));
  const counts = await trx
    .selectFrom('notifications')
    .select(['user_id', (eb) => eb.fn.countAll<number>().as('n')])
    .where('user_id', 'in', [...new Set(rows.map((r) => r.user_id))])
    .where('read_at', 'is', null)
    .groupBy('user_id')
    .execute();
  const unread = new Map(counts.map((c) => [c.user_id, c.n]));
  const later = new Map<string, number>();
  for (const row of rows) later.set(row.user_id, (later.get(row.user_id) ?? 0) + 1);
  const events: NewEvent[] = rows.map((row) => {
    const after = (later.get(row.user_id) ?? 1) - 1;
    later.set(row.user_id, after);
    return {
      type: 'notification:created',
      topic: 'me',
      rooms: [userRoom(row.user_id)],
      data: {
        notification: notificationRowToNotification(row),
        unreadCount: (unread.get(row.user_id) ?? 0) - after,
      },
    };
  });
  await appendEvents(trx, events);
  return rows.map(notificationRowToNotification);
}

export async function countUnread(trx: Executor, userId: string): Promise<number> {
  const { n } = await trx
    .selectFrom('notifications')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('user_id', '=', userId)
    .where('read_at', 'is', null)
    .executeTakeFirstOrThrow();
  return n;
}

/** The user's notifications, newest first, with how many are unread in all. */
export async function listNotifications(
  deps: Pick<Deps, 'db'>,
  actor: Actor | null,
  query: NotificationListQuery,
): Promise<Page<Notification> & { unreadCount: number }> {
  if (!actor) throw unauthenticated();
  const after = decodeTimeCursor(query.cursor);
  const rows = await listNotificationPage(deps.db, actor.userId, query.unread, after, query.limit);
  const page = toPage(rows, query.limit, notificationRowToNotification, (r) => timeKeyOf(r.created_at, r.id));
  return { ...page, unreadCount: await countUnread(deps.db, actor.userId) };
}

/** Idempotent; someone else's notification is not found, like a missing one. */
export async function readNotification(
  deps: Pick<Deps, 'db'>,
  actor: Actor | null,
  input: ReadNotificationInput,
): Promise<null> {
  if (!actor) throw unauthenticated();
  if (!(await markRead(deps.db, actor.userId, input.id))) throw notFound('Notification');
  return null;
}

export async function readAllNotifications(deps: Pick<Deps, 'db'>, actor: Actor | null): Promise<null> {
  if (!actor) throw unauthenticated();
  await markAllRead(deps.db, actor.userId);
  return null;
}
