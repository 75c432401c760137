// One live code per user and purpose, enforced by the database: "a new code replaces the previous one" then
// holds for requests that race (each used to delete, then insert, and two could both insert), and the
// replacement is one upsert.
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    delete from one_time_codes c
    using one_time_codes newer
    where newer.user_id = c.user_id and newer.purpose = c.purpose
      and (newer.created_at, newer.id) > (c.created_at, c.id)
  `.execute(db);
  await sql`create unique index one_time_codes_user_purpose_unique on one_time_codes (user_id, purpose)`.execute(
    db,
  );
  await sql`drop index one_time_codes_user_purpose`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`create index one_time_codes_user_purpose on one_time_codes (user_id, purpose)`.execute(db);
  await sql`drop index one_time_codes_user_purpose_unique`.execute(db);
}
