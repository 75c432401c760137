// Account lifecycle: data exports (a ZIP built by a worker, kept 7 days) and deletion. A deleted account
// stays as a husk (`deleted-<n>`, an undeliverable placeholder address, no password) so that ledger entries
// and transfers keep both their ends; its former username is reserved for good.
//
// From the moment deletion is accepted (users.deleted_at set, under the user's row lock) the database
// refuses anything new in the account's name: a request that had validated its session just before can
// no longer add a post, a like, a follow… behind the worker that removes them (see refuse_deleted_account).
import { type Kysely, sql } from 'kysely';

/** Tables and the columns naming the user whose new rows a deleted account must not get. */
const GUARDED: ReadonlyArray<[table: string, column: string]> = [
  ['posts', 'author_id'],
  ['comments', 'author_id'],
  ['likes', 'user_id'],
  ['follows', 'follower_id'],
  ['follows', 'followee_id'],
  ['event_participants', 'user_id'],
  ['events', 'organizer_id'],
  ['media', 'owner_id'],
  ['sessions', 'user_id'],
  ['blocks', 'blocker_id'],
  ['blocks', 'blocked_id'],
  ['mutes', 'muter_id'],
  ['mutes', 'muted_id'],
];

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table users add column deleted_at timestamptz`.execute(db);
  // Husks are numbered in deletion order: `deleted-<n>` (a name registration can never produce).
  await sql`create sequence deleted_users_seq`.execute(db);

  await sql`
    create table reserved_usernames (
      username text primary key check (username = lower(username)),
      reserved_at timestamptz not null default now()
    )`.execute(db);
  // Every path that gives a user a name (registration, a future rename) meets the reservation here, as the
  // unique index's own violation, so callers that map `users_username_lower` to 409 need no change.
  await sql`
    create function refuse_reserved_username() returns trigger language plpgsql as $$
    begin
      if exists (select 1 from reserved_usernames where username = lower(new.username)) then
        raise exception 'username % is reserved', new.username
          using errcode = 'unique_violation', constraint = 'users_username_lower';
      end if;
      return new;
    end $$`.execute(db);
  await sql`
    create trigger users_reserved_username before insert or update of username on users
    for each row execute function refuse_reserved_username()`.execute(db);

  // `for key share` waits for the deletion's `for update` and then reads its outcome: nothing slips in
  // between the check and the commit. PZ401 is mapped to 401 (the session is gone with the account).
  await sql`
    create function refuse_deleted_account() returns trigger language plpgsql as $$
    declare
      who uuid := (to_jsonb(new) ->> tg_argv[0])::uuid;
    begin
      if who is not null
        and exists (select 1 from users where id = who and deleted_at is not null for key share) then
        raise exception 'account % is deleted', who using errcode = 'PZ401';
      end if;
      return new;
    end $$`.execute(db);
  for (const [table, column] of GUARDED) {
    await sql
      .raw(`do $$ begin
        if to_regclass('${table}') is not null then
          create trigger ${table}_${column}_not_deleted before insert on ${table}
          for each row execute function refuse_deleted_account('${column}');
        end if;
      end $$`)
      .execute(db);
  }
  // Others' actions that would notify a deleted account (a like landing before its posts are gone) go on;
  // only the notification is dropped.
  await sql`
    create function skip_deleted_recipient() returns trigger language plpgsql as $$
    begin
      if exists (select 1 from users where id = new.user_id and deleted_at is not null) then
        return null;
      end if;
      return new;
    end $$`.execute(db);
  await sql`
    create trigger notifications_not_to_deleted before insert on notifications
    for each row execute function skip_deleted_recipient()`.execute(db);

  await sql`
    create table exports (
      id uuid primary key,
      user_id uuid not null references users (id) on delete cascade,
      status text not null default 'pending' check (status in ('pending', 'ready', 'failed')),
      -- exports/<token>.zip, private: only a presigned GET reaches it.
      key text not null unique,
      bytes bigint,
      created_at timestamptz not null default now(),
      ready_at timestamptz,
      expires_at timestamptz not null,
      check ((status = 'ready') = (ready_at is not null and bytes is not null))
    )`.execute(db);
  await sql`create index exports_user_newest on exports (user_id, created_at desc)`.execute(db);
  await sql`create index exports_expiry on exports (expires_at)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table exports`.execute(db);
  await sql`drop trigger notifications_not_to_deleted on notifications`.execute(db);
  await sql`drop function skip_deleted_recipient`.execute(db);
  for (const [table, column] of GUARDED)
    await sql.raw(`drop trigger if exists ${table}_${column}_not_deleted on ${table}`).execute(db);
  await sql`drop function refuse_deleted_account`.execute(db);
  await sql`drop trigger users_reserved_username on users`.execute(db);
  await sql`drop function refuse_reserved_username`.execute(db);
  await sql`drop table reserved_usernames`.execute(db);
  await sql`drop sequence deleted_users_seq`.execute(db);
  await sql`alter table users drop column deleted_at`.execute(db);
}
