// In-app notifications; a dedupe key makes "notify once" (reminders, settlements) hold in the database.
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table notifications (
      id uuid primary key,
      user_id uuid not null references users (id) on delete cascade,
      type text not null check (type in ('comment', 'like', 'follow', 'event_reminder', 'event_promoted',
        'event_cancelled', 'transfer_received', 'transfer_failed')),
      title text not null,
      body text not null,
      url text not null,
      dedupe_key text,
      created_at timestamptz not null default now(),
      read_at timestamptz
    )`.execute(db);
  await sql`create index notifications_user_newest on notifications (user_id, created_at desc, id desc)`.execute(
    db,
  );
  await sql`create index notifications_user_unread on notifications (user_id) where read_at is null`.execute(
    db,
  );
  await sql`create unique index notifications_dedupe on notifications (user_id, dedupe_key)
    where dedupe_key is not null`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table notifications`.execute(db);
}
