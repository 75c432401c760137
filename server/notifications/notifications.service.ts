// Creating notifications (one row and one `notification:created` push to the user's `me`, in the caller's
// transaction) and reading them: pages newest first with the unread count, marking read.
import type { Notification, NotificationType, Page } from '@plaza/client/protocol';
import { sql } from 'kysely';
import type { Actor } from '../auth/actor.ts';
import type { Executor, Trx } from '../db/database.ts';
import type { NotificationRow } from '../db/schema.ts';
import type { Deps } from '../deps.ts';
import { notFound, unauthenticated } from '../lib/errors.ts';
import { newId } from '../lib/ids.ts';
import { toPage } from '../lib/pagination.ts';
import { decodeTimeCursor, timeKeyOf } from '../lib/time-cursor.ts';
import { visibleBetween } from '../safety/safety.repository.ts';
import { countAndPushInserted } from './notifications.pushes.ts';
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
  /**
   * Whose doing it is (the follower, the liker, the commenter…): none is created when either blocked the
   * other or the recipient mutes them (server/safety). Absent: the system's (reminders, settlements).
   */
  actorId?: string;
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
 * notify() for many at once, in one statement whatever their number (settlements notify per batch).
 * Each push carries the unread count as of its own notification. Deduped ones are skipped.
 */
export async function notifyMany(trx: Trx, inputs: readonly NewNotification[]): Promise<Notification[]> {
  if (inputs.length === 0) return [];
  // One array per column: the statement's text and its parameters stay the same size for any batch.
  // UUIDv7 ids are made in input order, so the pushes (in id order) follow the inputs.
  const { rows } = await sql<NotificationRow>`
    with inserted as (
      insert into notifications (id, user_id, type, title, body, url, dedupe_key)
      select n.id, n.user_id, n.type, n.title, n.body, n.url, n.dedupe_key from unnest(
        ${inputs.map(() => newId())}::uuid[], ${inputs.map((i) => i.userId)}::uuid[],
        ${inputs.map((i) => i.type)}::text[], ${inputs.map((i) => i.title.slice(0, 200))}::text[],
        ${inputs.map((i) => i.body.slice(0, 1_000))}::text[], ${inputs.map((i) => i.url)}::text[],
        ${inputs.map((i) => i.dedupeKey ?? null)}::text[], ${inputs.map((i) => i.actorId ?? null)}::uuid[]
      ) as n (id, user_id, type, title, body, url, dedupe_key, actor_id)
      where n.actor_id is null or ${visibleBetween(sql`n.user_id`, sql`n.actor_id`)}
      on conflict (user_id, dedupe_key) where dedupe_key is not null do nothing
      returning *
    ), ${countAndPushInserted('inserted')}
    select * from inserted order by id`.execute(trx);
  return rows.map(notificationRowToNotification);
}

/** The user's counter (migrations/0022), kept by every change of unread state; no row: none unread. */
export async function countUnread(trx: Executor, userId: string): Promise<number> {
  const row = await trx
    .selectFrom('notification_counters')
    .select('unread')
    .where('user_id', '=', userId)
    .executeTakeFirst();
  return row?.unread ?? 0;
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
