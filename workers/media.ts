// The `media` queue: a completed upload → its WebP variants in the store and the row `ready` (or `failed`
// with a reason a person understands), one `media:updated` push to the owner either way. Exactly once
// across crashes: only a row still `processing` changes, in the transaction that logs the push; a job
// re-run after a SIGKILL rewrites the same variant keys (same bytes) and then finds nothing or commits.
import type { Job } from 'bullmq';
import type { Logger } from 'pino';
import { userRoom } from '../server/auth/actor.ts';
import type { Db } from '../server/db/database.ts';
import type { MediaVariants } from '../server/db/schema.ts';
import type { MediaJob } from '../server/jobs/queues.ts';
import { type ImageLimits, processImage } from '../server/media/image-pipeline.ts';
import { mediaOf } from '../server/media/media.objects.ts';
import { type MediaStore, originalKey, type VariantName, variantKey } from '../server/media/media.store.ts';
import { appendEvent } from '../server/realtime/event-log.ts';

/** Two images at a time on the two cores (each image's pipeline runs one libvips thread per operation). */
export const MEDIA_CONCURRENCY = 2;

export const UPLOAD_MISSING = 'the upload is missing (it was never stored or was removed); upload it again';
export const PROCESSING_FAILED = 'could not be processed, try another file';

export interface MediaDeps {
  db: Db;
  store: MediaStore;
  logger: Logger;
  limits: ImageLimits;
}

const VARIANT_FIELDS: Record<VariantName, keyof MediaVariants> = {
  display: 'display',
  preview: 'preview',
  'avatar-400': 'avatarLarge',
  'avatar-96': 'avatarSmall',
  cover: 'cover',
};

export function createMediaHandler(deps: MediaDeps): (payload: MediaJob, job: Job) => Promise<void> {
  return async (payload, job) => {
    try {
      await processMedia(deps, payload.mediaId);
    } catch (error) {
      // BullMQ retries (3 attempts); the last one gives the owner an answer instead of `processing` forever.
      const attempts = job.opts.attempts ?? 1;
      if (job.attemptsMade + 1 >= attempts) {
        deps.logger.error({ err: error, mediaId: payload.mediaId }, 'media processing failed for good');
        await finish(deps, payload.mediaId, { status: 'failed', reason: PROCESSING_FAILED });
      }
      throw error;
    }
  };
}

/**
 * BullMQ's `failed` event for the media queue. The handler gives the last attempt's answer itself; this
 * covers a job BullMQ gives up on without running it again: one whose worker died with it too often
 * ("job stalled more than allowable limit"). Its media must not stay `processing` for ever.
 */
export async function mediaJobFailed(deps: MediaDeps, job: Job<MediaJob> | undefined): Promise<void> {
  if (!job) return;
  const forGood = job.attemptsMade >= (job.opts.attempts ?? 1) || /stalled/i.test(job.failedReason ?? '');
  if (forGood) await finish(deps, job.data.mediaId, { status: 'failed', reason: PROCESSING_FAILED });
}

export async function processMedia(deps: MediaDeps, mediaId: string): Promise<void> {
  const row = await deps.db
    .selectFrom('media')
    .select(['id', 'key', 'status', 'content_type'])
    .where('id', '=', mediaId)
    .executeTakeFirst();
  // Deleted (its garbage entry removes the files), or not yet completed: nothing to do here.
  if (!row || row.status === 'pending_upload') return;
  if (row.status !== 'processing') {
    // Already ready or failed: this is a retry of a job whose worker died after the commit, perhaps before
    // it deleted the original. Deleting it again is harmless, and no original outlives its processing.
    await deps.store.delete([originalKey(row.key)]);
    return;
  }

  const original = await deps.store.get(originalKey(row.key));
  if (!original) {
    await finish(deps, mediaId, { status: 'failed', reason: UPLOAD_MISSING });
    return;
  }
  const result = await processImage(original, row.content_type, deps.limits);
  if (!result.ok) {
    // A refusal is an answer, not an error: retrying would refuse again.
    const committed = await finish(deps, mediaId, { status: 'failed', reason: result.reason });
    if (committed) await deps.store.delete([originalKey(row.key)]);
    return;
  }
  const variants = {} as MediaVariants;
  await Promise.all(
    result.variants.map(async (v) => {
      const key = variantKey(row.key, v.name);
      await deps.store.put(key, v.data, 'image/webp');
      variants[VARIANT_FIELDS[v.name]] = { key, width: v.width, height: v.height };
    }),
  );
  const committed = await finish(deps, mediaId, {
    status: 'ready',
    variants,
    width: result.width,
    height: result.height,
    blurhash: result.blurhash,
  });
  // After the commit: a crash before this is cured by the job's retry (it finds the row ready and deletes
  // the original). If the row was deleted meanwhile, its garbage entry removes the variants.
  if (committed) await deps.store.delete([originalKey(row.key)]);
}

type Outcome =
  | { status: 'failed'; reason: string }
  | { status: 'ready'; variants: MediaVariants; width: number; height: number; blurhash: string };

/** The row's final state and its push, in one transaction, only from `processing`: true when it changed. */
async function finish(deps: MediaDeps, mediaId: string, outcome: Outcome): Promise<boolean> {
  return deps.db.transaction().execute(async (trx) => {
    const update = trx
      .updateTable('media')
      .where('id', '=', mediaId)
      .where('status', '=', 'processing')
      .returningAll();
    const row = await (outcome.status === 'ready'
      ? update.set({
          status: 'ready',
          variants: JSON.stringify(outcome.variants),
          width: outcome.width,
          height: outcome.height,
          blurhash: outcome.blurhash,
          failure_reason: null,
          ready_at: new Date(),
        })
      : update.set({ status: 'failed', failure_reason: outcome.reason })
    ).executeTakeFirst();
    if (!row) return false;
    await appendEvent(trx, {
      type: 'media:updated',
      topic: 'me',
      rooms: [userRoom(row.owner_id)],
      data: { media: mediaOf(row, deps.store) },
    });
    return true;
  });
}
