// One-time secrets of the account flows: 6-digit codes (email verification, passwordless login) and
// password-reset tokens. Only their SHA-256 is stored; using one deletes it (single use).
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table one_time_codes (
      id uuid primary key,
      user_id uuid not null references users (id) on delete cascade,
      purpose text not null check (purpose in ('verify_email', 'login', 'password_reset')),
      code_hash bytea not null,
      expires_at timestamptz not null,
      created_at timestamptz not null default now()
    )`.execute(db);
  // Codes are looked up per user and purpose; reset tokens by their hash alone.
  await sql`create index one_time_codes_user_purpose on one_time_codes (user_id, purpose)`.execute(db);
  await sql`create index one_time_codes_hash on one_time_codes (purpose, code_hash)`.execute(db);
  await sql`create index one_time_codes_expires_at on one_time_codes (expires_at)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table one_time_codes`.execute(db);
}
