// The event log (transactional outbox of live pushes) and the relay's single-row state.
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table event_log (
      id bigint generated always as identity primary key,
      -- null until the relay gives it a place in commit order
      seq bigint,
      topic text not null,
      type text not null,
      -- Socket.IO rooms the push goes to; resume matches them against a socket's rooms
      rooms text[] not null,
      data jsonb not null,
      created_at timestamptz not null default now(),
      constraint event_log_rooms_not_empty check (cardinality(rooms) > 0)
    )`.execute(db);
  await sql`create unique index event_log_seq on event_log (seq) where seq is not null`.execute(db);
  await sql`create index event_log_unrelayed on event_log (id) where seq is null`.execute(db);
  await sql`create index event_log_rooms on event_log using gin (rooms)`.execute(db);
  await sql`create index event_log_created_at on event_log (created_at)`.execute(db);

  await sql`
    create table relay_state (
      singleton boolean primary key default true check (singleton),
      assigned_seq bigint not null default 0,
      emitted_seq bigint not null default 0,
      pruned_seq bigint not null default 0,
      constraint relay_state_order check (pruned_seq <= emitted_seq and emitted_seq <= assigned_seq)
    )`.execute(db);
  await sql`insert into relay_state default values`.execute(db);

  // One NOTIFY per inserting statement wakes the relay at commit; no extra round trip for writers.
  await sql`
    create function event_log_notify() returns trigger language plpgsql as $$
    begin
      perform pg_notify('plaza_event_log', '');
      return null;
    end $$`.execute(db);
  await sql`
    create trigger event_log_notify after insert on event_log
    for each statement execute function event_log_notify()`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table relay_state`.execute(db);
  await sql`drop table event_log`.execute(db);
  await sql`drop function event_log_notify`.execute(db);
}
