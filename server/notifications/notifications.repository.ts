// SQL of reading notifications: pages newest first, marking read (own rows only) with the unread counter.
import { sql } from 'kysely';
import type { Executor } from '../db/database.ts';
import type { NotificationRow } from '../db/schema.ts';
import type { TimeKey } from '../lib/time-cursor.ts';

export async function listNotificationPage(
  db: Executor,
  userId: string,
  unreadOnly: boolean,
  after: TimeKey | null,
  limit: number,
): Promise<NotificationRow[]> {
  let query = db.selectFrom('notifications').selectAll().where('user_id', '=', userId);
  if (unreadOnly) query = query.where('read_at', 'is', null);
  if (after)
    query = query.where((eb) => eb(eb.refTuple('created_at', 'id'), '<', eb.tuple(after.at, after.id)));
  return query
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(limit + 1)
    .execute();
}

// Marking read changes the user's counter (migrations/0022) in the same statement, by the rows that went
// from unread to read in it: a second mark of the same row (or one racing it, which re-checks `read_at`
// after the first commits) changes none and counts none.

/** True when the notification exists and belongs to the user (read before or now). */
export async function markRead(db: Executor, userId: string, id: string): Promise<boolean> {
  const { rows } = await sql<{ found: boolean }>`
    with changed as (
      update notifications set read_at = now()
      where id = ${id} and user_id = ${userId} and read_at is null
      returning id
    ), counted as (
      update notification_counters set unread = unread - 1
      where user_id = ${userId} and exists (select from changed)
    )
    select exists (select from changed)
      or exists (select from notifications where id = ${id} and user_id = ${userId}) as found`.execute(db);
  return rows[0]?.found === true;
}

export async function markAllRead(db: Executor, userId: string): Promise<number> {
  const { rows } = await sql<{ n: number }>`
    with changed as (
      update notifications set read_at = now()
      where user_id = ${userId} and read_at is null
      returning id
    ), counted as (
      update notification_counters set unread = unread - (select count(*) from changed)
      where user_id = ${userId} and exists (select from changed)
    )
    select count(*)::integer as n from changed`.execute(db);
  return rows[0]?.n ?? 0;
}
