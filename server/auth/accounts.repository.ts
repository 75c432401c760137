// SQL of user accounts. Email and username are unique case-insensitively: lookups use lower(), as the indexes do.
import type { Role } from '@plaza/client/protocol';
import { CompiledQuery, sql } from 'kysely';
import type { Executor } from '../db/database.ts';
import { prepared } from '../db/plaza-dialect.ts';
import type { UserRow } from '../db/schema.ts';

export async function findUserById(db: Executor, id: string): Promise<UserRow | undefined> {
  return db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
}

// Every login runs one of these: their text is built once, not by the query builder per call.
const USER_BY_EMAIL = prepared('user-by-email', 'select * from "users" where lower("email") = $1');
const USER_BY_USERNAME = prepared('user-by-username', 'select * from "users" where lower("username") = $1');

const userBy = (text: string, key: string) => CompiledQuery.raw(text, [key]) as CompiledQuery<UserRow>;

export async function findUserByEmail(db: Executor, email: string): Promise<UserRow | undefined> {
  return (await db.executeQuery(userBy(USER_BY_EMAIL, email.toLowerCase()))).rows[0];
}

export async function findUserByUsername(db: Executor, username: string): Promise<UserRow | undefined> {
  return (await db.executeQuery(userBy(USER_BY_USERNAME, username.toLowerCase()))).rows[0];
}

/** `login` is an email when it holds an @ (usernames cannot), else a username. */
export const findUserByLogin = (db: Executor, login: string) =>
  login.includes('@') ? findUserByEmail(db, login) : findUserByUsername(db, login);

export interface NewUser {
  id: string;
  email: string;
  username: string;
  displayName: string;
  passwordHash: string;
}

export async function insertUser(db: Executor, user: NewUser): Promise<UserRow> {
  return db
    .insertInto('users')
    .values({
      id: user.id,
      email: user.email,
      username: user.username,
      display_name: user.displayName,
      password_hash: user.passwordHash,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function markEmailVerified(db: Executor, userId: string): Promise<void> {
  await db
    .updateTable('users')
    .set({ email_verified_at: new Date() })
    .where('id', '=', userId)
    .where('email_verified_at', 'is', null)
    .execute();
}

/**
 * The first proof of the address (a sign-in code): verifies it and drops the password, which whoever
 * registered chose before anyone proved the mailbox theirs. False when the address was already verified.
 */
export async function verifyEmailDroppingPassword(db: Executor, userId: string): Promise<boolean> {
  const row = await db
    .updateTable('users')
    .set({ email_verified_at: new Date(), password_hash: null })
    .where('id', '=', userId)
    .where('email_verified_at', 'is', null)
    .returning('id')
    .executeTakeFirst();
  return row !== undefined;
}

/**
 * Deletes the never-verified registrations older than `createdBefore` that hold this email or username, so
 * a new registration can take them. The row lock decides races: a second deleter waits, then finds the row
 * gone (or verified meanwhile) and deletes nothing. An account that money was sent to is kept.
 */
export async function deleteStaleRegistrations(
  db: Executor,
  names: { email: string; username: string; createdBefore: Date },
): Promise<string[]> {
  const rows = await db
    .deleteFrom('users')
    .where((eb) =>
      eb.or([
        eb(eb.fn('lower', ['email']), '=', names.email.toLowerCase()),
        eb(eb.fn('lower', ['username']), '=', names.username.toLowerCase()),
      ]),
    )
    .where('email_verified_at', 'is', null)
    .where('created_at', '<', names.createdBefore)
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('wallet_accounts').select('id').whereRef('wallet_accounts.user_id', '=', 'users.id'),
        ),
      ),
    )
    .returning('id')
    .execute();
  return rows.map((row) => row.id);
}

export async function setPasswordHash(db: Executor, userId: string, passwordHash: string): Promise<void> {
  await db.updateTable('users').set({ password_hash: passwordHash }).where('id', '=', userId).execute();
}

export async function setRole(db: Executor, userId: string, role: Role): Promise<void> {
  await db.updateTable('users').set({ role }).where('id', '=', userId).execute();
}

export async function markSuspended(db: Executor, userId: string): Promise<void> {
  await db
    .updateTable('users')
    .set({ suspended_at: new Date() })
    .where('id', '=', userId)
    .where('suspended_at', 'is', null)
    .execute();
}

export interface FollowCounts {
  followerCount: number;
  followingCount: number;
  followedByMe: boolean;
}

/**
 * Follower and following counts of a user, and whether `viewerId` follows them (social feature's `follows`).
 * Plain SQL: it runs on every sign-in and profile read, and building its three subqueries with the query
 * builder cost more CPU than PostgreSQL spends answering it.
 */
export async function followCounts(
  db: Executor,
  userId: string,
  viewerId: string | null,
): Promise<FollowCounts> {
  const viewer = viewerId ?? '00000000-0000-0000-0000-000000000000';
  const { rows } = await sql<{
    followerCount: string | number | null;
    followingCount: string | number | null;
    followedByMe: boolean | null;
  }>`/* prepare:follow-counts */ select
      (select count(*) from follows where followee_id = ${userId}) as "followerCount",
      (select count(*) from follows where follower_id = ${userId}) as "followingCount",
      exists (select from follows where followee_id = ${userId} and follower_id = ${viewer}) as "followedByMe"`.execute(
    db,
  );
  const row = rows[0] ?? { followerCount: 0, followingCount: 0, followedByMe: false };
  return {
    followerCount: Number(row.followerCount ?? 0),
    followingCount: Number(row.followingCount ?? 0),
    followedByMe: viewerId !== null && Boolean(row.followedByMe),
  };
}
