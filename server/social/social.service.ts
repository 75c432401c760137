// The rules of profiles and follows: who may follow whom, notifications, and moving `home` sockets.
import type { Page, User } from '@plaza/client/protocol';
import type { Actor } from '../auth/actor.ts';
import type { Deps } from '../deps.ts';
import { AppError, forbidden, notFound, unauthenticated } from '../lib/errors.ts';
import type { PageQuery } from '../lib/pagination.ts';
import { toPage } from '../lib/pagination.ts';
import { decodeTimeCursor, timeKeyOf } from '../lib/time-cursor.ts';
import { avatarOf, avatarUrlOf, type MediaUrls } from '../media/media.objects.ts';
import { mediaStoreOf } from '../media/store.factory.ts';
import { notify } from '../notifications/notifications.service.ts';
import { authorRoom, homeRoom } from '../posts/posts.rooms.ts';
import { hideIfBlockedBy, refuseIfBlockedBy } from '../safety/safety.guards.ts';
import { blocks as blocksUser, findMute, lockPair } from '../safety/safety.repository.ts';
import {
  countFollowers,
  deleteFollow,
  findProfile,
  findUserIdByUsername,
  insertFollow,
  listFollowPage,
  lockAndCountFollowing,
  type ProfileRow,
} from './social.repository.ts';
import type { FollowInput } from './social.schema.ts';

export interface FollowState {
  following: boolean;
  followerCount: number;
}

export const profileRowToUser = (row: ProfileRow, urls: MediaUrls): User => ({
  id: row.id,
  username: row.username,
  displayName: row.display_name,
  avatarUrl: avatarUrlOf(row.avatar_key, urls),
  avatar: avatarOf(row.avatar_key, urls),
  bio: row.bio,
  createdAt: row.created_at.toISOString(),
  followerCount: row.follower_count,
  followingCount: row.following_count,
  followedByMe: row.followed_by_me,
});

async function requireUserId(deps: Pick<Deps, 'db'>, username: string): Promise<string> {
  const id = await findUserIdByUsername(deps.db, username);
  if (!id) throw notFound('User');
  return id;
}

export async function getUser(
  deps: Pick<Deps, 'db' | 'config'>,
  actor: Actor | null,
  username: string,
): Promise<User> {
  const id = await requireUserId(deps, username);
  await hideIfBlockedBy(deps.db, actor, id, 'User');
  const row = await findProfile(deps.db, id, actor?.userId ?? null);
  if (!row) throw notFound('User');
  const user = profileRowToUser(row, mediaStoreOf(deps.config));
  if (!actor || actor.userId === id) return user;
  // The pair itself, not the viewer's lists: a page with a long block list still shows the right button.
  const [blocking, muting] = await Promise.all([
    blocksUser(deps.db, actor.userId, id),
    findMute(deps.db, actor.userId, id),
  ]);
  return { ...user, blockedByMe: blocking, mutedByMe: muting !== undefined };
}

/** The user id behind a username, for other features' listings (404 when unknown). */
export const userIdByUsername = requireUserId;

export async function listFollows(
  deps: Pick<Deps, 'db' | 'config'>,
  actor: Actor | null,
  username: string,
  side: 'followers' | 'following',
  query: PageQuery,
): Promise<Page<User>> {
  const after = decodeTimeCursor(query.cursor);
  const id = await requireUserId(deps, username);
  const rows = await listFollowPage(deps.db, side, id, actor?.userId ?? null, after, query.limit);
  const urls = mediaStoreOf(deps.config);
  return toPage(
    rows,
    query.limit,
    (row) => profileRowToUser(row, urls),
    (r) => timeKeyOf(r.followed_at, r.id),
  );
}

async function targetOf(deps: Deps, actor: Actor | null, input: FollowInput): Promise<[Actor, string]> {
  if (!actor) throw unauthenticated();
  const followeeId = await requireUserId(deps, input.username);
  if (followeeId === actor.userId) {
    throw new AppError('validation_failed', 'You cannot follow yourself', {
      issues: [{ path: 'username', message: 'cannot follow yourself' }],
    });
  }
  return [actor, followeeId];
}

/**
 * The most accounts one account follows. A `home` socket joins a room per followee and `resume` reads
 * them all, so without a bound one account could make each of its sockets arbitrarily expensive.
 */
export const FOLLOWING_LIMIT = 5000;

/** Idempotent; the followee is notified the first time. */
export async function followUser(deps: Deps, actor: Actor | null, input: FollowInput): Promise<FollowState> {
  const [follower, followeeId] = await targetOf(deps, actor, input);
  const followerCount = await deps.db.transaction().execute(async (trx) => {
    // Under the pair's lock, so a block committing meanwhile cannot leave a follow behind it.
    await lockPair(trx, follower.userId, followeeId);
    await refuseIfBlockedBy(trx, follower, followeeId);
    if (await blocksUser(trx, follower.userId, followeeId)) throw forbidden('Unblock them first');
    const created = await insertFollow(trx, follower.userId, followeeId);
    if (created && (await lockAndCountFollowing(trx, follower.userId)) > FOLLOWING_LIMIT) {
      throw new AppError(
        'conflict',
        `You already follow ${FOLLOWING_LIMIT.toLocaleString('en')} accounts, the most one account can follow: unfollow someone first`,
        { limit: FOLLOWING_LIMIT },
      );
    }
    if (created) {
      await notify(trx, {
        userId: followeeId,
        type: 'follow',
        title: `${follower.username} followed you`,
        body: '',
        url: `/u/${follower.username}`,
        dedupeKey: `follow:${follower.userId}`,
        actorId: follower.userId,
      });
    }
    return countFollowers(trx, followeeId);
  });
  // After commit: the follower's `home` sockets, on every instance, hear this author from now on.
  deps.rooms?.join(homeRoom(follower.userId), authorRoom(followeeId));
  return { following: true, followerCount };
}

export async function unfollowUser(
  deps: Deps,
  actor: Actor | null,
  input: FollowInput,
): Promise<FollowState> {
  const [follower, followeeId] = await targetOf(deps, actor, input);
  const followerCount = await deps.db.transaction().execute(async (trx) => {
    await deleteFollow(trx, follower.userId, followeeId);
    return countFollowers(trx, followeeId);
  });
  deps.rooms?.leave(homeRoom(follower.userId), authorRoom(followeeId));
  return { following: false, followerCount };
}
