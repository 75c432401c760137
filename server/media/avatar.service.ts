// Avatars (API.md "Media": `PUT /me/avatar`, `DELETE /me/avatar`). The user row keeps the avatar media's id
// and its token (`avatar_key`), so that every UserRef finds its URL without a join; the two change together.
import type { Me } from '@plaza/client/protocol';
import type { Actor } from '../auth/actor.ts';
import { loadMe } from '../auth/me.ts';
import type { Trx } from '../db/database.ts';
import type { Deps } from '../deps.ts';
import { notFound } from '../lib/errors.ts';
import { claimMedia } from './media.repository.ts';
import { collectSoon, refuseUnclaimable } from './media.service.ts';
import { mediaStoreOf } from './store.factory.ts';

export type AvatarDeps = Pick<Deps, 'db' | 'config' | 'queues' | 'logger'>;

/** Makes the caller's own ready, unattached media their avatar; the previous avatar's media is deleted. */
export async function setAvatar(deps: AvatarDeps, actor: Actor, mediaId: string): Promise<Me> {
  const replaced = await deps.db.transaction().execute(async (trx) => {
    // The one conditional UPDATE is the guard: of two requests attaching the same media, the second
    // waits for the first's row lock, then finds it attached and claims nothing.
    const [claimed] = await claimMedia(trx, { ids: [mediaId], ownerId: actor.userId, as: 'avatar' });
    if (!claimed) await refuseUnclaimable(trx, [mediaId], actor.userId);
    const previous = await lockAvatar(trx, actor.userId);
    // The user first, then the old media: deleting it while still referenced would have the foreign key
    // clear avatar_media_id alone, which the both-or-neither check refuses.
    await trx
      .updateTable('users')
      .set({ avatar_media_id: mediaId, avatar_key: (claimed as { key: string }).key })
      .where('id', '=', actor.userId)
      .execute();
    if (previous) await trx.deleteFrom('media').where('id', '=', previous).execute();
    return previous !== null;
  });
  if (replaced) await collectSoon(deps);
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
  if (removed) await collectSoon(deps);
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
