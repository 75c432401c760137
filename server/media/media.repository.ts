// SQL of media: the upload's row through its states, and attaching ready media to what shows them.
import { sql } from 'kysely';
import type { Executor } from '../db/database.ts';
import type { MediaAttachment, MediaStatus } from '../db/schema.ts';
import type { MediaJson, MediaRow } from './media.objects.ts';

export async function insertMedia(
  db: Executor,
  row: { id: string; ownerId: string; contentType: string; bytes: number; key: string; description: string },
): Promise<MediaRow> {
  return db
    .insertInto('media')
    .values({
      id: row.id,
      owner_id: row.ownerId,
      content_type: row.contentType,
      bytes: row.bytes,
      key: row.key,
      description: row.description,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function findMedia(db: Executor, id: string): Promise<MediaRow | undefined> {
  return db.selectFrom('media').selectAll().where('id', '=', id).executeTakeFirst();
}

/** pending_upload → processing, once; undefined when the row was not pending (or is not the owner's). */
export async function markProcessing(
  db: Executor,
  id: string,
  ownerId: string,
): Promise<MediaRow | undefined> {
  return db
    .updateTable('media')
    .set({ status: 'processing', completed_at: new Date() })
    .where('id', '=', id)
    .where('owner_id', '=', ownerId)
    .where('status', '=', 'pending_upload')
    .returningAll()
    .executeTakeFirst();
}

export async function updateDescription(
  db: Executor,
  id: string,
  ownerId: string,
  description: string,
): Promise<MediaRow | undefined> {
  return db
    .updateTable('media')
    .set({ description })
    .where('id', '=', id)
    .where('owner_id', '=', ownerId)
    .returningAll()
    .executeTakeFirst();
}

/** Deletes an unattached media of its owner; the trigger queues its files. */
export async function deleteUnattached(db: Executor, id: string, ownerId: string): Promise<boolean> {
  const row = await db
    .deleteFrom('media')
    .where('id', '=', id)
    .where('owner_id', '=', ownerId)
    .where('attached_as', 'is', null)
    .returning('id')
    .executeTakeFirst();
  return row !== undefined;
}

/**
 * Attaches the owner's ready, unattached media, in the order given; the one conditional UPDATE is the guard
 * against two requests attaching the same media (the second finds it attached). Returns the ids attached.
 */
export async function claimMedia(
  db: Executor,
  input: { ids: readonly string[]; ownerId: string; as: MediaAttachment; postId?: string },
): Promise<Array<{ id: string; key: string }>> {
  if (input.ids.length === 0) return [];
  const { rows } = await sql<{ id: string; key: string }>`
    update media m
    set attached_as = ${input.as}, attached_at = now(), post_id = ${input.postId ?? null}::uuid,
        position = wanted.position
    from unnest(${input.ids}::uuid[]) with ordinality as wanted(id, position)
    where m.id = wanted.id and m.owner_id = ${input.ownerId}::uuid
      and m.status = 'ready' and m.attached_as is null
    returning m.id, m.key`.execute(db);
  return rows;
}

/** A media that cannot be attached: no such media, someone else's, not ready, or attached already. */
export type UnclaimableMedia =
  | { id: string; reason: 'unknown' | 'missing' }
  | { id: string; reason: 'not_ready'; status: MediaStatus }
  | { id: string; reason: 'attached'; attachedAs: MediaAttachment };

/** Why media could not be claimed, for the refusal: the first id that is not the caller's, ready and free. */
export async function whyNotClaimable(
  db: Executor,
  ids: readonly string[],
  ownerId: string,
): Promise<UnclaimableMedia | undefined> {
  const rows = await db
    .selectFrom('media')
    .select(['id', 'owner_id', 'status', 'attached_as'])
    .where('id', 'in', [...ids])
    .execute();
  const byId = new Map(rows.map((r) => [r.id, r]));
  for (const id of ids) {
    const row = byId.get(id);
    if (!row) return { id, reason: 'unknown' };
    if (row.owner_id !== ownerId) return { id, reason: 'missing' };
    if (row.status !== 'ready') return { id, reason: 'not_ready', status: row.status };
    if (row.attached_as !== null) return { id, reason: 'attached', attachedAs: row.attached_as };
  }
  return undefined;
}

/** The columns a `Media` needs, as JSON, for aggregating a post's media in its row. */
export const mediaJsonColumns = sql<MediaJson>`jsonb_build_object(
  'id', m.id, 'status', m.status, 'content_type', m.content_type, 'bytes', m.bytes, 'width', m.width,
  'height', m.height, 'variants', m.variants, 'blurhash', m.blurhash, 'description', m.description,
  'failure_reason', m.failure_reason, 'created_at', m.created_at)`;

/** Deletes a post's (or other owner's) media rows; the trigger queues their files. */
export async function deleteMediaOfPost(db: Executor, postId: string): Promise<number> {
  const rows = await db.deleteFrom('media').where('post_id', '=', postId).returning('id').execute();
  return rows.length;
}
