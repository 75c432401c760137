// Avatars (API.md "Media": `PUT /me/avatar`, `DELETE /me/avatar`). The user row keeps the avatar media's id
// and its token (`avatar_key`), so that every UserRef finds its URL without a join; the two change together.
import type { Me } from '@plaza/client/protocol';
import type { Actor } from '../auth/actor.ts';
import { loadMe } from '../auth/me.ts';
import type { Trx } from '../db/database.ts';
import type { Deps } from '../deps.ts';
import { AppError, notFound } from '../lib/errors.ts';
import { queueMediaCollect } from './media.cleanup.ts';
import { mediaStoreOf } from './store.factory.ts';

export type AvatarDeps = Pick<Deps, 'db' | 'config' | 'queues' | 'logger'>;

/** Makes the caller's own ready, unattached media their avatar; the previous avatar's media is deleted. */
export async function setAvatar(deps: AvatarDeps, actor: Actor, mediaId: string): Promise<Me> {
  const replaced = await deps.db.transaction().execute(async (trx) => {
    // The one conditional UPDATE is the guard: of two requests attaching the same media, the second
    // waits for the first's row lock, then finds it attached and claims nothing.
    const claimed = await trx
      .updateTable('media')
      .set({ attached_as: 'avatar', attached_at: new Date() })
      .where('id', '=', mediaId)
      .where('owner_id', '=', actor.userId)
      .where('status', '=', 'ready')
      .where('attached_as', 'is', null)
      .returning('key')
      .executeTakeFirst();
    if (!claimed) throw await refusalOf(trx, actor, mediaId);
    const previous = await lockAvatar(trx, actor.userId);
    // The user first, then the old media: deleting it while still referenced would have the foreign key
    // clear avatar_media_id alone, which the both-or-neither check refuses.
    await trx
      .updateTable('users')
      .set({ avatar_media_id: mediaId, avatar_key: claimed.key })
      .where('id', '=', actor.userId)
      .execute();
    if (previous) await trx.deleteFrom('media').where('id', '=', previous).execute();
    return previous !== null;
  });
  if (replaced) await collectSoon(deps, actor);
  return loadMe(deps.db, actor.userId, mediaStoreOf(deps.config));
}

/** Removes the caller's avatar (deleting its media); without one, nothing changes. */
export async function deleteAvatar(deps: AvatarDeps, actor: Actor): Promise<Me> {
  const removed = await deps.db.transaction().execute(async (trx) => {
    const previous = await lockAvatar(trx, actor.userId);
    if (!previous) return false;
    await trx
      .updateTable('users')
      .set({ avatar_media_id: null, avatar_key: null })
      .where('id', '=', actor.userId)
      .execute();
    await trx.deleteFrom('media').where('id', '=', previous).execute();
    return true;
  });
  if (removed) await collectSoon(deps, actor);
  return loadMe(deps.db, actor.userId, mediaStoreOf(deps.config));
}

/** The user's current avatar media id, with their row locked until commit (avatar changes take turns). */
async function lockAvatar(trx: Trx, userId: string): Promise<string | null> {
  const row = await trx
    .selectFrom('users')
    .select('avatar_media_id')
    .where('id', '=', userId)
    .forUpdate()
    .executeTakeFirst();
  if (!row) throw notFound('User');
  return row.avatar_media_id;
}

/** Why the claim took nothing, read after it (a concurrent claim has committed or rolled back by then). */
async function refusalOf(trx: Trx, actor: Actor, mediaId: string): Promise<AppError> {
  const media = await trx
    .selectFrom('media')
    .select(['owner_id', 'status', 'attached_as'])
    .where('id', '=', mediaId)
    .executeTakeFirst();
  if (!media) return notFound('Media');
  if (media.owner_id !== actor.userId) return new AppError('conflict', 'This media is not yours');
  if (media.status !== 'ready') {
    return new AppError('conflict', `This media is not ready (${media.status})`, { status: media.status });
  }
  return new AppError('conflict', `This media is already attached (as ${media.attached_as})`, {
    attachedAs: media.attached_as,
  });
}

/** After commit: the deleted media's files go now rather than at the next scheduled collection. */
async function collectSoon(deps: AvatarDeps, actor: Actor): Promise<void> {
  try {
    await queueMediaCollect(deps.queues);
  } catch (error) {
    deps.logger.warn(
      { err: error, userId: actor.userId },
      'media collection not queued; the schedule will run it',
    );
  }
}
