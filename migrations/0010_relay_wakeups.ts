// Writers wake the relay through Redis after they commit (server/realtime/relay-waker.ts), no longer with
// a NOTIFY per inserting statement: a NOTIFYing commit holds a database-wide lock through its WAL flush,
// which queued every writer behind every other.
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`drop trigger event_log_notify on event_log`.execute(db);
  await sql`drop function event_log_notify`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
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
