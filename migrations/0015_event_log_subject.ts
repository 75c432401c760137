// Events that carry someone's words (a post's or a comment's body) name that post or comment, so deleting
// it can blank those events in the same transaction: `resume` must not hand out for 24 hours what its author
// or a moderator took down. Only such events have a subject, so the index stays small.
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table event_log add column subject uuid`.execute(db);
  await sql`create index event_log_subject on event_log (subject) where subject is not null`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop index event_log_subject`.execute(db);
  await sql`alter table event_log drop column subject`.execute(db);
}
