// Users and their sessions (Lucia guide: the token's id in clear, only the SHA-256 of its secret).
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table users (
      id uuid primary key,
      email text not null,
      username text not null,
      display_name text not null,
      password_hash text not null,
      role text not null default 'member' check (role in ('member', 'moderator', 'admin')),
      email_verified_at timestamptz,
      suspended_at timestamptz,
      created_at timestamptz not null default now()
    )`.execute(db);
  // Case-insensitive uniqueness; lookups use the same lower() expressions.
  await sql`create unique index users_email_lower on users (lower(email))`.execute(db);
  await sql`create unique index users_username_lower on users (lower(username))`.execute(db);

  await sql`
    create table sessions (
      id text primary key,
      secret_hash bytea not null,
      user_id uuid not null references users (id) on delete cascade,
      user_agent text not null default '',
      created_at timestamptz not null default now(),
      last_seen_at timestamptz not null default now(),
      expires_at timestamptz not null
    )`.execute(db);
  await sql`create index sessions_user_id on sessions (user_id)`.execute(db);
  await sql`create index sessions_expires_at on sessions (expires_at)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table sessions`.execute(db);
  await sql`drop table users`.execute(db);
}
