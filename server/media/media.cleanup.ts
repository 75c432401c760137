// Media nobody will use, and the files of media that are gone (API.md "Media"). Deleting a row is all a
// feature does: a trigger queues its key in media_garbage, and the collector removes the stored objects
// after that commit, never inside the transaction that deleted it.
import { sql } from 'kysely';
import type { Db } from '../db/database.ts';
import type { Queues } from '../jobs/queues.ts';
import { type MediaStore, objectKeysOf } from './media.store.ts';

/** An upload URL lives 10 minutes; an upload not completed within the hour never will be. */
export const UNCOMPLETED_AFTER_MS = 60 * 60_000;
/** Uploaded but never put on a post, a cover or an avatar. */
export const UNATTACHED_AFTER_MS = 24 * 60 * 60_000;

export interface SweepResult {
  uncompleted: number;
  unattached: number;
}

/** Deletes the media rows past their time at `now`; their objects follow through media_garbage. */
export async function sweepMedia(db: Db, now: Date): Promise<SweepResult> {
  const uncompleted = await db
    .deleteFrom('media')
    .where('status', '=', 'pending_upload')
    .where('attached_as', 'is', null)
    .where('created_at', '<', new Date(now.getTime() - UNCOMPLETED_AFTER_MS))
    .executeTakeFirst();
  const unattached = await db
    .deleteFrom('media')
    .where('attached_as', 'is', null)
    .where('created_at', '<', new Date(now.getTime() - UNATTACHED_AFTER_MS))
    .executeTakeFirst();
  return { uncompleted: Number(uncompleted.numDeletedRows), unattached: Number(unattached.numDeletedRows) };
}

/**
 * Removes the stored objects of deleted media, `batch` tokens at a time, until media_garbage is empty.
 * The garbage rows stay locked (SKIP LOCKED: concurrent collectors take other rows) while their objects
 * are deleted, and are forgotten in the same transaction: a failure leaves them for the next run.
 * Resolves to the number of media whose objects were removed.
 */
export async function collectMediaGarbage(
  db: Db,
  store: Pick<MediaStore, 'delete'>,
  batch = 500,
): Promise<number> {
  let collected = 0;
  for (;;) {
    const done = await db.transaction().execute(async (trx) => {
      const rows = await trx
        .selectFrom('media_garbage')
        .select('key')
        .orderBy('queued_at')
        .limit(batch)
        .forUpdate()
        .skipLocked()
        .execute();
      if (rows.length === 0) return 0;
      const tokens = rows.map((row) => row.key);
      await store.delete(tokens.flatMap(objectKeysOf));
      await trx.deleteFrom('media_garbage').where('key', 'in', tokens).execute();
      return tokens.length;
    });
    collected += done;
    // A short batch means nothing more was there (or the rest is another collector's).
    if (done < batch) return collected;
  }
}

/** Queued media the collector has not reached yet (for the reconciler and tests). */
export async function pendingGarbage(db: Db): Promise<number> {
  const row = await db
    .selectFrom('media_garbage')
    .select(sql<number>`count(*)::int`.as('count'))
    .executeTakeFirstOrThrow();
  return row.count;
}

/**
 * Wakes the collector right after a commit that deleted media. One job id: while one is queued, more
 * requests are the same request; `removeOnComplete` frees the id for the next commit. (A commit landing
 * while a collection runs is picked up by its loop or, at worst, by the schedule a minute later.)
 */
export async function queueMediaCollect(queues: Pick<Queues, 'add'>): Promise<void> {
  await queues.add(
    'maintenance',
    { task: 'media-collect' },
    { jobId: 'media-collect', removeOnComplete: true, removeOnFail: true },
  );
}
