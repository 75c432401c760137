// Blocks and mutes, and the actor of logged events. A block hides each of the two users from the other;
// a mute hides the muted user from the muter until `expires_at` (null: until unmuted). Feed queries ask
// "is this author hidden from this viewer" per row, so both directions are indexed. `event_log.actor_id`
// names whose content an event carries (a post's or comment's author): the relay emits it `except` to the
// sockets that must not hear from that user, and `resume` skips it for them.
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table blocks (
      blocker_id uuid not null references users (id) on delete cascade,
      blocked_id uuid not null references users (id) on delete cascade,
      created_at timestamptz not null default now(),
      primary key (blocker_id, blocked_id),
      check (blocker_id <> blocked_id)
    )`.execute(db);
  await sql`create index blocks_blocked on blocks (blocked_id, blocker_id)`.execute(db);

  await sql`
    create table mutes (
      muter_id uuid not null references users (id) on delete cascade,
      muted_id uuid not null references users (id) on delete cascade,
      expires_at timestamptz,
      created_at timestamptz not null default now(),
      primary key (muter_id, muted_id),
      check (muter_id <> muted_id)
    )`.execute(db);
  await sql`create index mutes_muted on mutes (muted_id, muter_id)`.execute(db);
  // The expiry sweep reads only mutes that end.
  await sql`create index mutes_expiry on mutes (expires_at) where expires_at is not null`.execute(db);

  await sql`alter table event_log add column actor_id uuid`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`alter table event_log drop column actor_id`.execute(db);
  await sql`drop table mutes`.execute(db);
  await sql`drop table blocks`.execute(db);
}
