// Moderation: reports (with a snapshot of what was reported, kept when the content goes) and the audit log
// of moderators' and admins' actions. The audit log is append-only at the database: a trigger refuses every
// UPDATE, DELETE and TRUNCATE, whoever asks. Its actor and target ids carry no foreign key, so deleting a
// user or a post never reaches into it.
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table reports (
      id uuid primary key,
      reporter_id uuid not null references users (id) on delete cascade,
      target_type text not null check (target_type in ('post', 'comment', 'user', 'event')),
      target_id uuid not null,
      -- Whose content it is (the user reported, or the author / organizer): the one told and suspended.
      target_user_id uuid references users (id) on delete set null,
      snapshot jsonb not null,
      category text not null check (category in ('spam', 'harassment', 'illegal', 'other')),
      comment text not null default '' check (char_length(comment) <= 1000),
      status text not null default 'open' check (status in ('open', 'resolved')),
      action text check (action in ('dismiss', 'remove_content', 'suspend_user')),
      note text not null default '',
      resolved_by uuid references users (id) on delete set null,
      created_at timestamptz not null default now(),
      resolved_at timestamptz,
      check ((status = 'open') = (action is null)),
      check ((status = 'open') = (resolved_at is null))
    )`.execute(db);
  // One open report per reporter and target, under any concurrency: the second insert conflicts.
  await sql`create unique index reports_one_open on reports (reporter_id, target_type, target_id)
    where status = 'open'`.execute(db);
  await sql`create index reports_queue on reports (status, created_at, id)`.execute(db);
  await sql`create index reports_open_target on reports (target_type, target_id) where status = 'open'`.execute(
    db,
  );
  await sql`create index reports_open_user on reports (target_user_id) where status = 'open'`.execute(db);

  await sql`
    create table audit_log (
      id uuid primary key,
      actor_id uuid not null,
      action text not null,
      target_type text not null,
      target_id uuid not null,
      note text not null default '',
      created_at timestamptz not null default now()
    )`.execute(db);
  await sql`create index audit_log_newest on audit_log (created_at desc, id desc)`.execute(db);
  await sql`create index audit_log_actor on audit_log (actor_id, created_at desc, id desc)`.execute(db);
  await sql`create index audit_log_action on audit_log (action, created_at desc, id desc)`.execute(db);
  await sql`
    create function audit_log_append_only() returns trigger language plpgsql as $$
    begin
      raise exception 'audit_log is append-only: % refused', tg_op using errcode = 'insufficient_privilege';
    end $$`.execute(db);
  await sql`create trigger audit_log_no_change before update or delete on audit_log
    for each row execute function audit_log_append_only()`.execute(db);
  await sql`create trigger audit_log_no_truncate before truncate on audit_log
    for each statement execute function audit_log_append_only()`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table audit_log`.execute(db);
  await sql`drop function audit_log_append_only()`.execute(db);
  await sql`drop table reports`.execute(db);
}
