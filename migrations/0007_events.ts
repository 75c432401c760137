// Events, their participants (join order by `position`) and the reminders already sent (the exactly-once guard).
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table events (
      id uuid primary key,
      organizer_id uuid not null references users (id) on delete cascade,
      title text not null check (char_length(title) between 1 and 120),
      summary text not null default '' check (char_length(summary) <= 280),
      description text not null check (char_length(description) between 1 and 10000),
      location text not null default '' check (char_length(location) <= 200),
      starts_at timestamptz not null,
      ends_at timestamptz not null,
      capacity integer check (capacity >= 1),
      price_cents integer not null default 0 check (price_cents >= 0),
      status text not null default 'published' check (status in ('published', 'cancelled', 'rejected')),
      reject_reason text,
      -- Kept exact in the transaction that changes participants, under the event's row lock.
      going_count integer not null default 0 check (going_count >= 0),
      waitlist_count integer not null default 0 check (waitlist_count >= 0),
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      check (ends_at > starts_at),
      check (capacity is null or going_count <= capacity)
    )`.execute(db);
  // The listing: upcoming published events, soonest first (keyset on starts_at, id).
  await sql`create index events_upcoming on events (starts_at, id) where status = 'published'`.execute(db);
  await sql`create index events_organizer on events (organizer_id)`.execute(db);

  await sql`
    create table event_participants (
      event_id uuid not null references events (id) on delete cascade,
      user_id uuid not null references users (id) on delete cascade,
      status text not null check (status in ('going', 'waitlisted', 'pending_payment')),
      -- Join order: assigned while the event row is locked, so it is the order in which joins took effect.
      position bigint generated always as identity,
      joined_at timestamptz not null default clock_timestamp(),
      primary key (event_id, user_id)
    )`.execute(db);
  await sql`create index event_participants_order on event_participants (event_id, status, position)`.execute(
    db,
  );
  await sql`create index event_participants_user on event_participants (user_id)`.execute(db);

  await sql`
    create table event_reminders (
      event_id uuid not null references events (id) on delete cascade,
      user_id uuid not null references users (id) on delete cascade,
      starts_at timestamptz not null,
      notified_at timestamptz not null default now(),
      email_queued_at timestamptz,
      primary key (event_id, user_id)
    )`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table event_reminders`.execute(db);
  await sql`drop table event_participants`.execute(db);
  await sql`drop table events`.execute(db);
}
