// An account may have no password: the first proof of its mailbox by a sign-in code drops a password set
// before the address was verified (maybe by someone else), and its owner sets one through a reset.
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table users alter column password_hash drop not null`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  // Passwordless accounts get a hash no password matches, so the column can be required again.
  await sql`update users set password_hash = '!' where password_hash is null`.execute(db);
  await sql`alter table users alter column password_hash set not null`.execute(db);
}
