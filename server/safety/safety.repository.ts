// SQL of blocks and mutes: the rows, who is hidden from whom, and the filter every feed query applies.
import { type RawBuilder, sql } from 'kysely';
import { batchedLookup } from '../db/batched-lookup.ts';
import type { Executor, Trx } from '../db/database.ts';
import type { TimeKey } from '../lib/time-cursor.ts';
import { type ProfileRow, profiles } from '../social/social.repository.ts';

/**
 * True when the author in column `authorColumn` may be shown to `viewerId`: neither blocked the other and
 * the viewer has no unexpired mute on them. Two index probes per row (blocks both ways, mutes by the
 * viewer); for an anonymous viewer nothing is hidden.
 */
export function visibleTo(viewerId: string | null, authorColumn: string): RawBuilder<boolean> {
  if (!viewerId) return sql<boolean>`true`;
  return visibleBetween(sql`${viewerId}::uuid`, sql.ref(authorColumn));
}

/** `visibleTo` between two SQL expressions (a notification's recipient and its actor, say). */
export function visibleBetween(
  viewer: RawBuilder<unknown>,
  author: RawBuilder<unknown>,
): RawBuilder<boolean> {
  return sql<boolean>`(not exists (
      select 1 from blocks hb
      where (hb.blocker_id = ${viewer} and hb.blocked_id = ${author})
         or (hb.blocker_id = ${author} and hb.blocked_id = ${viewer})
    ) and not exists (
      select 1 from mutes hm
      where hm.muter_id = ${viewer} and hm.muted_id = ${author}
        and (hm.expires_at is null or hm.expires_at > now())
    ))`;
}

/** True when neither of `viewerId` and the user in `userColumn` blocked the other (lists of users). */
export function unblockedWith(viewerId: string | null, userColumn: string): RawBuilder<boolean> {
  if (!viewerId) return sql<boolean>`true`;
  const user = sql.ref(userColumn);
  return sql<boolean>`not exists (
      select 1 from blocks ub
      where (ub.blocker_id = ${viewerId}::uuid and ub.blocked_id = ${user})
         or (ub.blocker_id = ${user} and ub.blocked_id = ${viewerId}::uuid)
    )`;
}

/**
 * Posts whose author blocks the viewer, among those asked (`<post id>:<viewer id>` keys): a `post:<id>`
 * subscription of the blocked is refused like the post itself. The subscribes of one turn share one query.
 */
export const postOfBlocker = batchedLookup<string, true>(async (db, keys) => {
  const pairs = keys.map((key) => key.split(':') as [string, string]);
  const { rows } = await sql<{ key: string }>`
    select p.id || ':' || k.viewer as key
    from unnest(${pairs.map((p) => p[0])}::uuid[], ${pairs.map((p) => p[1])}::uuid[]) as k (post, viewer)
    join posts p on p.id = k.post
    join blocks b on b.blocker_id = p.author_id and b.blocked_id = k.viewer`.execute(db);
  return new Map(rows.map((row) => [row.key, true as const]));
});

/**
 * Serialises the safety changes of one pair of users (either order): the hide state each records in the
 * event log is then the state as of its commit, so applying those records in commit order ends right.
 */
export async function lockPair(trx: Trx, a: string, b: string): Promise<void> {
  const [low, high] = a < b ? [a, b] : [b, a];
  await sql`select pg_advisory_xact_lock(hashtextextended(${`safety:${low}:${high}`}, 0))`.execute(trx);
}

export async function insertBlock(db: Executor, blockerId: string, blockedId: string): Promise<boolean> {
  const row = await db
    .insertInto('blocks')
    .values({ blocker_id: blockerId, blocked_id: blockedId })
    .onConflict((oc) => oc.columns(['blocker_id', 'blocked_id']).doNothing())
    .returning('blocker_id')
    .executeTakeFirst();
  return row !== undefined;
}

export async function deleteBlock(db: Executor, blockerId: string, blockedId: string): Promise<boolean> {
  const row = await db
    .deleteFrom('blocks')
    .where('blocker_id', '=', blockerId)
    .where('blocked_id', '=', blockedId)
    .returning('blocker_id')
    .executeTakeFirst();
  return row !== undefined;
}

export async function upsertMute(
  db: Executor,
  muterId: string,
  mutedId: string,
  expiresAt: Date | null,
): Promise<void> {
  await db
    .insertInto('mutes')
    .values({ muter_id: muterId, muted_id: mutedId, expires_at: expiresAt })
    .onConflict((oc) => oc.columns(['muter_id', 'muted_id']).doUpdateSet({ expires_at: expiresAt }))
    .execute();
}

export async function deleteMute(db: Executor, muterId: string, mutedId: string): Promise<boolean> {
  const row = await db
    .deleteFrom('mutes')
    .where('muter_id', '=', muterId)
    .where('muted_id', '=', mutedId)
    .returning('muter_id')
    .executeTakeFirst();
  return row !== undefined;
}

/** Whether `viewerId` must not see `otherId`'s content, and the reverse, as of now. */
export async function pairState(
  db: Executor,
  a: string,
  b: string,
): Promise<{ aHidesB: boolean; bHidesA: boolean }> {
  const { rows } = await sql<{ a_hides_b: boolean; b_hides_a: boolean }>`
    select not (${visibleTo(a, 'x.b')}) as a_hides_b, not (${visibleTo(b, 'x.a')}) as b_hides_a
    from (select ${a}::uuid as a, ${b}::uuid as b) x`.execute(db);
  const row = rows[0];
  return { aHidesB: row?.a_hides_b ?? false, bHidesA: row?.b_hides_a ?? false };
}

/**
 * Whom each user must not get content from: blocked either way, or muted by them and not expired. Read at
 * every authenticated connect, so the connects of one turn share one query (a reconnect storm).
 */
const hiddenByUser = batchedLookup<string, string[]>(async (db, userIds) => {
  const { rows } = await sql<{ user_id: string; other_id: string }>`
    /* prepare:hidden-users */
    select blocker_id as user_id, blocked_id as other_id from blocks where blocker_id = any(${userIds as string[]}::uuid[])
    union all
    select blocked_id, blocker_id from blocks where blocked_id = any(${userIds as string[]}::uuid[])
    union all
    select muter_id, muted_id from mutes
    where muter_id = any(${userIds as string[]}::uuid[]) and (expires_at is null or expires_at > now())`.execute(
    db,
  );
  const found = new Map<string, Set<string>>();
  for (const row of rows) {
    const set = found.get(row.user_id);
    if (set) set.add(row.other_id);
    else found.set(row.user_id, new Set([row.other_id]));
  }
  return new Map([...found].map(([userId, others]) => [userId, [...others]]));
});

/** Everyone whose content `userId` must not get (their sockets' `hide:` rooms). */
export async function hiddenUserIds(db: Executor, userId: string): Promise<string[]> {
  return (await hiddenByUser(db, userId)) ?? [];
}

/** True when `blockerId` blocks `blockedId`. */
export async function blocks(db: Executor, blockerId: string, blockedId: string): Promise<boolean> {
  const row = await db
    .selectFrom('blocks')
    .select('blocker_id')
    .where('blocker_id', '=', blockerId)
    .where('blocked_id', '=', blockedId)
    .executeTakeFirst();
  return row !== undefined;
}

export async function findMute(
  db: Executor,
  muterId: string,
  mutedId: string,
): Promise<{ expires_at: Date | null } | undefined> {
  return db
    .selectFrom('mutes')
    .select('expires_at')
    .where('muter_id', '=', muterId)
    .where('muted_id', '=', mutedId)
    .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', sql<Date>`now()`)]))
    .executeTakeFirst();
}

export interface SafetyPageRow extends ProfileRow {
  listed_at: Date;
  expires_at: Date | null;
}

/** One page of the users `ownerId` blocks (`side` blocks) or mutes (unexpired), newest first. */
export async function listSafetyPage(
  db: Executor,
  side: 'blocks' | 'mutes',
  ownerId: string,
  after: TimeKey | null,
  limit: number,
): Promise<SafetyPageRow[]> {
  let query =
    side === 'blocks'
      ? profiles(db, ownerId)
          .innerJoin('blocks as s', 's.blocked_id', 'u.id')
          .select(['s.created_at as listed_at', sql<Date | null>`null::timestamptz`.as('expires_at')])
          .where('s.blocker_id', '=', ownerId)
      : profiles(db, ownerId)
          .innerJoin('mutes as s', 's.muted_id', 'u.id')
          .select(['s.created_at as listed_at', 's.expires_at'])
          .where('s.muter_id', '=', ownerId)
          .where((eb) => eb.or([eb('s.expires_at', 'is', null), eb('s.expires_at', '>', sql<Date>`now()`)]));
  if (after) {
    query = query.where((eb) => eb(eb.refTuple('s.created_at', 'u.id'), '<', eb.tuple(after.at, after.id)));
  }
  return query
    .orderBy('s.created_at', 'desc')
    .orderBy('u.id', 'desc')
    .limit(limit + 1)
    .execute() as Promise<SafetyPageRow[]>;
}

/** Mutes past their end, oldest first (the expiry sweep). */
export async function expiredMutes(
  db: Executor,
  limit: number,
): Promise<Array<{ muter_id: string; muted_id: string }>> {
  return db
    .selectFrom('mutes')
    .select(['muter_id', 'muted_id'])
    .where('expires_at', '<=', sql<Date>`now()`)
    .orderBy('expires_at')
    .limit(limit)
    .execute();
}

/** Deletes the mute if it is still past its end (not renewed meanwhile). */
export async function deleteExpiredMute(db: Executor, muterId: string, mutedId: string): Promise<boolean> {
  const row = await db
    .deleteFrom('mutes')
    .where('muter_id', '=', muterId)
    .where('muted_id', '=', mutedId)
    .where('expires_at', '<=', sql<Date>`now()`)
    .returning('muter_id')
    .executeTakeFirst();
  return row !== undefined;
}

export async function roleOf(db: Executor, userId: string) {
  const row = await db.selectFrom('users').select('role').where('id', '=', userId).executeTakeFirst();
  return row?.role;
}
