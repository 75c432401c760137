// Resume and pruning only ever read relayed events (seq set), so their indexes cover only those rows: a
// writer's insert no longer touches the GIN index of rooms nor the created_at index; the relay's update
// that sets seq adds each row to them once. (Before, every event was indexed twice: once unrelayed at
// insert, and again as the new row version the relay's update makes.) The event log holds at most the
// retention's worth of events, so rebuilding these indexes takes seconds at most.
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`drop index event_log_rooms`.execute(db);
  await sql`drop index event_log_created_at`.execute(db);
  await sql`create index event_log_rooms on event_log using gin (rooms) where seq is not null`.execute(db);
  await sql`create index event_log_created_at on event_log (created_at) where seq is not null`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop index event_log_rooms`.execute(db);
  await sql`drop index event_log_created_at`.execute(db);
  await sql`create index event_log_rooms on event_log using gin (rooms)`.execute(db);
  await sql`create index event_log_created_at on event_log (created_at)`.execute(db);
}
