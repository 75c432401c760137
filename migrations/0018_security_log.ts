// Account self-service: the security log (what happened to an account, from where), profiles' bio, the
// email-change code (its pending address kept with it) and the `new_sign_in` notification.
import { type Kysely, sql } from 'kysely';

const NOTIFICATION_TYPES_BEFORE = `'comment', 'like', 'follow', 'event_reminder', 'event_promoted',
  'event_cancelled', 'transfer_received', 'transfer_failed'`;
// Every type API.md's additions name, so this migration and the other features' ones agree on the list.
const NOTIFICATION_TYPES = `${NOTIFICATION_TYPES_BEFORE}, 'report_resolved', 'new_sign_in', 'export_ready'`;

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table security_events (
      id uuid primary key,
      user_id uuid not null references users (id) on delete cascade,
      type text not null check (type in ('login', 'login_failed', 'login_code', 'password_changed',
        'password_reset', 'email_changed', 'session_revoked', 'export_requested', 'deletion_requested')),
      ip text not null,
      user_agent text not null default '',
      -- The client's network (IPv4 /16, IPv6 /48): "signed in from here before?" is an index lookup.
      network text not null,
      created_at timestamptz not null default now()
    )`.execute(db);
  await sql`create index security_events_user_newest on security_events (user_id, created_at desc, id desc)`.execute(
    db,
  );
  await sql`create index security_events_sign_ins on security_events (user_id, network, created_at desc)
    where type in ('login', 'login_code')`.execute(db);

  await sql`alter table users add column bio text not null default '' check (char_length(bio) <= 500)`.execute(
    db,
  );

  await sql`alter table one_time_codes add column new_email text`.execute(db);
  await sql`alter table one_time_codes drop constraint one_time_codes_purpose_check`.execute(db);
  await sql`alter table one_time_codes add constraint one_time_codes_purpose_check
    check (purpose in ('verify_email', 'login', 'password_reset', 'email_change'))`.execute(db);
  // The pending address travels with the email-change code, and only with it.
  await sql`alter table one_time_codes add constraint one_time_codes_new_email_check
    check ((purpose = 'email_change') = (new_email is not null))`.execute(db);

  await sql`alter table notifications drop constraint notifications_type_check`.execute(db);
  await sql
    .raw(`alter table notifications add constraint notifications_type_check
    check (type in (${NOTIFICATION_TYPES}))`)
    .execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`delete from notifications where type in ('report_resolved', 'new_sign_in', 'export_ready')`.execute(
    db,
  );
  await sql`alter table notifications drop constraint notifications_type_check`.execute(db);
  await sql
    .raw(`alter table notifications add constraint notifications_type_check
    check (type in (${NOTIFICATION_TYPES_BEFORE}))`)
    .execute(db);
  await sql`delete from one_time_codes where purpose = 'email_change'`.execute(db);
  await sql`alter table one_time_codes drop constraint one_time_codes_new_email_check`.execute(db);
  await sql`alter table one_time_codes drop constraint one_time_codes_purpose_check`.execute(db);
  await sql`alter table one_time_codes add constraint one_time_codes_purpose_check
    check (purpose in ('verify_email', 'login', 'password_reset'))`.execute(db);
  await sql`alter table one_time_codes drop column new_email`.execute(db);
  await sql`alter table users drop column bio`.execute(db);
  await sql`drop table security_events`.execute(db);
}
