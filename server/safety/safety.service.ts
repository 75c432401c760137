// The rules of blocks and mutes, and the guards other features call: 403 for what the blocked may not do
// to the blocker, 404 for what of the blocker they may not see.
import type { Page, User } from '@plaza/client/protocol';
import type { Actor } from '../auth/actor.ts';
import type { Db, Executor } from '../db/database.ts';
import type { Deps } from '../deps.ts';
import { AppError, unauthenticated, validationFailed } from '../lib/errors.ts';
import type { PageQuery } from '../lib/pagination.ts';
import { toPage } from '../lib/pagination.ts';
import { decodeTimeCursor, timeKeyOf } from '../lib/time-cursor.ts';
import { mediaStoreOf } from '../media/store.factory.ts';
import { authorRoom, homeRoom } from '../posts/posts.rooms.ts';
import { deleteFollowsBetween } from '../social/social.repository.ts';
import { profileRowToUser, userIdByUsername } from '../social/social.service.ts';
import { recordHideState } from './safety.events.ts';
import {
  deleteBlock,
  deleteExpiredMute,
  deleteMute,
  expiredMutes,
  hiddenUserIds,
  insertBlock,
  listSafetyPage,
  lockPair,
  roleOf,
  upsertMute,
} from './safety.repository.ts';
import type { BlockInput, MuteInput } from './safety.schema.ts';

export interface BlockState {
  blocking: boolean;
}

export interface MuteState {
  muting: boolean;
  expiresAt: string | null;
}

export type MutedUser = User & { expiresAt: string | null };

async function targetOf(
  deps: Pick<Deps, 'db'>,
  actor: Actor | null,
  username: string,
  verb: 'block' | 'mute',
): Promise<[Actor, string]> {
  if (!actor) throw unauthenticated();
  const targetId = await userIdByUsername(deps, username);
  if (targetId === actor.userId) {
    throw new AppError('validation_failed', `You cannot ${verb} yourself`, {
      issues: [{ path: 'username', message: `cannot ${verb} yourself` }],
    });
  }
  return [actor, targetId];
}

/** Idempotent. Removes follows both ways; moderators and admins cannot be blocked (400). */
export async function blockUser(deps: Deps, actor: Actor | null, input: BlockInput): Promise<BlockState> {
  const [me, targetId] = await targetOf(deps, actor, input.username, 'block');
  const role = await roleOf(deps.db, targetId);
  if (role === 'moderator' || role === 'admin') {
    throw new AppError('validation_failed', 'Moderators and admins cannot be blocked', {
      issues: [{ path: 'username', message: 'moderators and admins cannot be blocked' }],
    });
  }
  await deps.db.transaction().execute(async (trx) => {
    await lockPair(trx, me.userId, targetId);
    if (!(await insertBlock(trx, me.userId, targetId))) return;
    await deleteFollowsBetween(trx, me.userId, targetId);
    await recordHideState(trx, me.userId, targetId);
  });
  // After commit: `home` sockets of each stop holding the other's author room (the follows are gone).
  deps.rooms?.leave(homeRoom(me.userId), authorRoom(targetId));
  deps.rooms?.leave(homeRoom(targetId), authorRoom(me.userId));
  return { blocking: true };
}

export async function unblockUser(deps: Deps, actor: Actor | null, input: BlockInput): Promise<BlockState> {
  const [me, targetId] = await targetOf(deps, actor, input.username, 'block');
  await deps.db.transaction().execute(async (trx) => {
    await lockPair(trx, me.userId, targetId);
    if (await deleteBlock(trx, me.userId, targetId)) await recordHideState(trx, me.userId, targetId);
  });
  return { blocking: false };
}

/** Mutes until `expiresAt` (in the future) or until unmuted; muting again replaces the end. */
export async function muteUser(deps: Deps, actor: Actor | null, input: MuteInput): Promise<MuteState> {
  const [me, targetId] = await targetOf(deps, actor, input.username, 'mute');
  const expiresAt = input.expiresAt ? new Date(input.expiresAt) : null;
  if (expiresAt && expiresAt.getTime() <= Date.now()) {
    throw validationFailed([{ path: ['expiresAt'], message: 'must be in the future' }]);
  }
  await deps.db.transaction().execute(async (trx) => {
    await lockPair(trx, me.userId, targetId);
    await upsertMute(trx, me.userId, targetId, expiresAt);
    await recordHideState(trx, me.userId, targetId);
  });
  if (expiresAt) await queueMuteExpiry(deps, me.userId, targetId, expiresAt);
  return { muting: true, expiresAt: expiresAt ? expiresAt.toISOString() : null };
}

export async function unmuteUser(deps: Deps, actor: Actor | null, input: BlockInput): Promise<MuteState> {
  const [me, targetId] = await targetOf(deps, actor, input.username, 'mute');
  await deps.db.transaction().execute(async (trx) => {
    await lockPair(trx, me.userId, targetId);
    if (await deleteMute(trx, me.userId, targetId)) await recordHideState(trx, me.userId, targetId);
  });
  return { muting: false, expiresAt: null };
}

/**
 * The expiry sweep, at the moment a mute ends (its delayed job) or within a minute (the schedule): the
 * muted user's content reaches the muter's open sockets again. Answers how many mutes ended.
 */
export async function expireMutes(db: Db, batch = 500): Promise<number> {
  let ended = 0;
  for (const mute of await expiredMutes(db, batch)) {
    const removed = await db.transaction().execute(async (trx) => {
      await lockPair(trx, mute.muter_id, mute.muted_id);
      if (!(await deleteExpiredMute(trx, mute.muter_id, mute.muted_id))) return false;
      await recordHideState(trx, mute.muter_id, mute.muted_id);
      return true;
    });
    if (removed) ended++;
  }
  return ended;
}

/** A delayed maintenance job at the mute's end; the minute schedule covers a job that could not be queued. */
async function queueMuteExpiry(deps: Deps, muterId: string, mutedId: string, at: Date): Promise<void> {
  await deps.queues
    .add(
      'maintenance',
      { task: 'expire-mutes' },
      {
        jobId: `expire-mutes-${muterId}-${mutedId}-${at.getTime()}`,
        delay: Math.max(0, at.getTime() - Date.now()),
      },
    )
    .catch((error: unknown) => deps.logger.warn({ err: error }, 'could not queue the end of a mute'));
}

export async function listBlocks(
  deps: Pick<Deps, 'db' | 'config'>,
  actor: Actor | null,
  query: PageQuery,
): Promise<Page<User>> {
  if (!actor) throw unauthenticated();
  const rows = await listSafetyPage(
    deps.db,
    'blocks',
    actor.userId,
    decodeTimeCursor(query.cursor),
    query.limit,
  );
  const urls = mediaStoreOf(deps.config);
  return toPage(
    rows,
    query.limit,
    (row) => profileRowToUser(row, urls),
    (r) => timeKeyOf(r.listed_at, r.id),
  );
}

export async function listMutes(
  deps: Pick<Deps, 'db' | 'config'>,
  actor: Actor | null,
  query: PageQuery,
): Promise<Page<MutedUser>> {
  if (!actor) throw unauthenticated();
  const rows = await listSafetyPage(
    deps.db,
    'mutes',
    actor.userId,
    decodeTimeCursor(query.cursor),
    query.limit,
  );
  const urls = mediaStoreOf(deps.config);
  return toPage(
    rows,
    query.limit,
    (row) => ({
      ...profileRowToUser(row, urls),
      expiresAt: row.expires_at ? row.expires_at.toISOString() : null,
    }),
    (r) => timeKeyOf(r.listed_at, r.id),
  );
}

/** The users whose content a user's sockets must not get (joined as `hide:` rooms at connect). */
export const hiddenFrom = (db: Executor, userId: string): Promise<string[]> => hiddenUserIds(db, userId);
