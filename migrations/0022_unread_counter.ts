// Each user's unread notification count, kept exact by the statements that change unread state (insert,
// mark read, delete) in the same statement, so the inbox and every `notification:created` push read one
// row instead of counting unread rows.
//
// A table of its own rather than a column of `users`: every notify, mark-read and purge batch updates it,
// and on `users` that update would take the row lock that account deletion holds `for update` (and
// sessions, profile edits and the deleted-account guards read), and leave a new version of a wide, hot row
// each time. Here a row is one user's two columns: no other user's rows are touched, and with room left on
// each page (fillfactor) the updates stay HOT, with no index writes. A user without a row has none unread.
//
// Lock order: statements that change several users' counters take them in user_id order, after their other
// row locks, so two of them cannot deadlock on counters.
import { type Kysely, sql } from 'kysely';

/**
 * Sets every counter to its user's unread rows: users with unread notifications get theirs, counters of
 * users without any go to 0. Exported for the test of the backfill.
 */
export async function backfillUnreadCounters(db: Kysely<unknown>): Promise<void> {
  await sql`
    with actual as (
      select user_id, count(*)::integer as unread from notifications where read_at is null group by user_id
    )
    insert into notification_counters (user_id, unread)
    select coalesce(a.user_id, c.user_id), coalesce(a.unread, 0)
    from actual a full join notification_counters c on c.user_id = a.user_id
    on conflict (user_id) do update set unread = excluded.unread`.execute(db);
}

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table notification_counters (
      user_id uuid primary key references users (id) on delete cascade,
      unread integer not null default 0 check (unread >= 0)
    ) with (fillfactor = 70)`.execute(db);
  // An old server still running inserts and marks notifications without counting: writes wait for the
  // migration's commit instead of slipping in between the count and the switch.
  await sql`lock table notifications in share mode`.execute(db);
  await backfillUnreadCounters(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table notification_counters`.execute(db);
}
