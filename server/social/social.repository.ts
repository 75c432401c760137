// SQL of users' public profiles and follows.
import { sql } from 'kysely';
import { batchedLookup } from '../db/batched-lookup.ts';
import type { Executor } from '../db/database.ts';
import type { TimeKey } from '../lib/time-cursor.ts';
import { unblockedWith } from '../safety/safety.repository.ts';

export interface ProfileRow {
  id: string;
  username: string;
  display_name: string;
  avatar_key: string | null;
  bio: string;
  created_at: Date;
  follower_count: number;
  following_count: number;
  followed_by_me: boolean;
}

export interface FollowPageRow extends ProfileRow {
  followed_at: Date;
}

export async function findUserIdByUsername(db: Executor, username: string): Promise<string | null> {
  const row = await db
    .selectFrom('users')
    .select('id')
    .where(sql<string>`lower(username)`, '=', username.toLowerCase())
    .executeTakeFirst();
  return row?.id ?? null;
}

/** The id of a live account named `username`: a deleted account's husk (`deleted-<n>`) cannot be paid. */
export async function findLiveUserIdByUsername(db: Executor, username: string): Promise<string | null> {
  const row = await db
    .selectFrom('users')
    .select('id')
    .where(sql<string>`lower(username)`, '=', username.toLowerCase())
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
  return row?.id ?? null;
}

/** Profile columns with counts and whether `viewerId` follows the user (also for the safety lists). */
export function profiles(db: Executor, viewerId: string | null) {
  return db
    .selectFrom('users as u')
    .select([
      'u.id',
      'u.username',
      'u.display_name',
      'u.avatar_key',
      'u.bio',
      'u.created_at',
      sql<number>`(select count(*) from follows f where f.followee_id = u.id)`.as('follower_count'),
      sql<number>`(select count(*) from follows f where f.follower_id = u.id)`.as('following_count'),
      viewerId
        ? sql<boolean>`exists (select 1 from follows f where f.follower_id = ${viewerId} and f.followee_id = u.id)`.as(
            'followed_by_me',
          )
        : sql<boolean>`false`.as('followed_by_me'),
    ]);
}

export async function findProfile(
  db: Executor,
  userId: string,
  viewerId: string | null,
): Promise<ProfileRow | undefined> {
  return profiles(db, viewerId).where('u.id', '=', userId).executeTakeFirst();
}

/** True when a row was inserted (false: already following). */
export async function insertFollow(db: Executor, followerId: string, followeeId: string): Promise<boolean> {
  const row = await db
    .insertInto('follows')
    .values({ follower_id: followerId, followee_id: followeeId, created_at: new Date() })
    .onConflict((oc) => oc.columns(['follower_id', 'followee_id']).doNothing())
    .returning('follower_id')
    .executeTakeFirst();
  return row !== undefined;
}

/**
 * How many accounts a user follows, counted after taking a lock on their follows: one user's follows
 * then take turns, so a burst cannot pass a limit that each of them checked alone.
 */
export async function lockAndCountFollowing(db: Executor, followerId: string): Promise<number> {
  await sql`select pg_advisory_xact_lock(hashtextextended(${`follows:${followerId}`}, 0))`.execute(db);
  const { n } = await db
    .selectFrom('follows')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('follower_id', '=', followerId)
    .executeTakeFirstOrThrow();
  return Number(n);
}

export async function deleteFollow(db: Executor, followerId: string, followeeId: string): Promise<boolean> {
  const row = await db
    .deleteFrom('follows')
    .where('follower_id', '=', followerId)
    .where('followee_id', '=', followeeId)
    .returning('follower_id')
    .executeTakeFirst();
  return row !== undefined;
}

export async function countFollowers(db: Executor, userId: string): Promise<number> {
  const { n } = await db
    .selectFrom('follows')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('followee_id', '=', userId)
    .executeTakeFirstOrThrow();
  return n;
}

/** Removes follows between two users, both ways (a block). */
export async function deleteFollowsBetween(db: Executor, a: string, b: string): Promise<void> {
  await db
    .deleteFrom('follows')
    .where((eb) =>
      eb.or([
        eb.and([eb('follower_id', '=', a), eb('followee_id', '=', b)]),
        eb.and([eb('follower_id', '=', b), eb('followee_id', '=', a)]),
      ]),
    )
    .execute();
}

/** Who each user follows; concurrent callers (sockets subscribing to `home`) share one query. */
const followeesByUser = batchedLookup<string, string[]>(async (db, userIds) => {
  const { rows } = await sql<{ follower_id: string; followee_id: string }>`
    /* prepare:followees-by-user */
    select follower_id, followee_id from follows where follower_id = any(${userIds as string[]}::uuid[])`.execute(
    db,
  );
  const found = new Map<string, string[]>();
  for (const row of rows) {
    const list = found.get(row.follower_id);
    if (list) list.push(row.followee_id);
    else found.set(row.follower_id, [row.followee_id]);
  }
  return found;
});

/** Ids of the users `userId` follows (for joining their authors' rooms). */
export async function followeeIds(db: Executor, userId: string): Promise<string[]> {
  return (await followeesByUser(db, userId)) ?? [];
}

/** A subquery of the ids `userId` follows, for other features' queries (the home feed). */
export const followeesOf = (db: Executor, userId: string) =>
  db.selectFrom('follows').select('follows.followee_id').where('follows.follower_id', '=', userId);

/** One page of a user's followers (`side` = 'followers') or followees, newest follow first. */
export async function listFollowPage(
  db: Executor,
  side: 'followers' | 'following',
  userId: string,
  viewerId: string | null,
  after: TimeKey | null,
  limit: number,
): Promise<FollowPageRow[]> {
  const [self, other] =
    side === 'followers'
      ? (['followee_id', 'follower_id'] as const)
      : (['follower_id', 'followee_id'] as const);
  let query = profiles(db, viewerId)
    .innerJoin('follows as fw', `fw.${other}`, 'u.id')
    .select('fw.created_at as followed_at')
    .where(`fw.${self}`, '=', userId)
    // Users who blocked the viewer, or whom the viewer blocked, are left out of the list.
    .where(unblockedWith(viewerId, 'u.id'));
  if (after) {
    query = query.where((eb) =>
      eb(eb.refTuple('fw.created_at', `fw.${other}`), '<', eb.tuple(after.at, after.id)),
    );
  }
  return query
    .orderBy('fw.created_at', 'desc')
    .orderBy(`fw.${other}`, 'desc')
    .limit(limit + 1)
    .execute();
}
