// Each one-time code counts the tries made against it, so a 6-digit code dies after 5 wrong ones whatever
// the client addresses and the per-address cooldown let through. A constant default: no table rewrite.
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    alter table one_time_codes
      add column attempts integer not null default 0 check (attempts >= 0)
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`alter table one_time_codes drop column attempts`.execute(db);
}
