// The rules of media: who uploads what, how big, and when it is processed, changed or deleted.
import type { Media, MediaUpload } from '@plaza/client/protocol';
import type { Redis } from 'ioredis';
import type { Actor } from '../auth/actor.ts';
import type { Executor } from '../db/database.ts';
import type { Deps } from '../deps.ts';
import { AppError, notFound } from '../lib/errors.ts';
import { newId } from '../lib/ids.ts';
import { RateLimit } from '../lib/rate-limit.ts';
import { requireActor } from '../posts/posts.service.ts';
import { queueMediaCollect } from './media.cleanup.ts';
import { mediaOf } from './media.objects.ts';
import {
  deleteUnattached,
  findMedia,
  insertMedia,
  markProcessing,
  updateDescription,
  whyNotClaimable,
} from './media.repository.ts';
import {
  type CreateMediaInput,
  isMediaType,
  MEDIA_TYPES,
  MEDIA_UPLOAD_TTL_SECONDS,
  normaliseContentType,
} from './media.schema.ts';
import { newMediaToken, originalKey } from './media.store.ts';
import { mediaStoreOf } from './store.factory.ts';

type MediaDeps = Pick<Deps, 'db' | 'redis' | 'config' | 'queues'>;

const uploadLimits = new WeakMap<Redis, RateLimit>();

function uploadLimit(deps: Pick<Deps, 'redis' | 'config'>): RateLimit {
  let limit = uploadLimits.get(deps.redis);
  if (!limit) {
    limit = new RateLimit(deps.redis, deps.config.redisPrefix, 'media-uploads', {
      points: deps.config.media.uploadsPerHour,
      durationSec: 3_600,
    });
    uploadLimits.set(deps.redis, limit);
  }
  return limit;
}

const megabytes = (bytes: number) => `${Math.round((bytes / (1024 * 1024)) * 10) / 10} MB`;

export async function createMedia(
  deps: MediaDeps,
  actor: Actor | null,
  input: CreateMediaInput,
): Promise<{ media: Media; upload: MediaUpload }> {
  const me = requireActor(actor);
  const contentType = normaliseContentType(input.contentType);
  if (!isMediaType(contentType)) {
    throw new AppError(
      'unsupported_media_type',
      `Plaza takes JPEG, PNG, WebP, GIF and AVIF images, not ${contentType || 'this type'}`,
      { accepted: [...MEDIA_TYPES] },
    );
  }
  const { maxBytes } = deps.config.media;
  if (input.bytes > maxBytes) {
    throw new AppError('payload_too_large', `The file is larger than ${megabytes(maxBytes)}`, {
      maxBytes,
    });
  }
  await uploadLimit(deps).consume(me.userId);
  const store = mediaStoreOf(deps.config);
  const key = newMediaToken();
  const row = await insertMedia(deps.db, {
    id: newId(),
    ownerId: me.userId,
    contentType,
    bytes: input.bytes,
    key,
    description: input.description ?? '',
  });
  const upload = await store.presignPut(originalKey(key), {
    contentType,
    bytes: input.bytes,
    expiresInSeconds: MEDIA_UPLOAD_TTL_SECONDS,
  });
  return {
    media: mediaOf(row, store),
    upload: {
      method: 'PUT',
      url: upload.url,
      headers: upload.headers,
      expiresAt: upload.expiresAt.toISOString(),
    },
  };
}

async function ownMedia(deps: Pick<Deps, 'db'>, ownerId: string, id: string) {
  const row = await findMedia(deps.db, id);
  // Someone else's media is not found: its existence is not theirs to learn.
  if (!row || row.owner_id !== ownerId) throw notFound('Media');
  return row;
}

/** The job that processes a completed upload; its id makes a repeated `complete` one job. */
export async function enqueueProcessing(deps: Pick<Deps, 'queues'>, mediaId: string): Promise<void> {
  await deps.queues.add(
    'media',
    { task: 'process', mediaId },
    { jobId: `process-${mediaId}`, attempts: 3, backoff: { type: 'exponential', delay: 2_000 } },
  );
}

/**
 * The upload is in the store, exactly as long as declared: hand it to the worker. Repeating it while
 * processing enqueues again (a no-op for the same job id), so a client whose first call was cut off, or a
 * queue that was down after the commit, is cured by calling again.
 */
export async function completeMedia(deps: MediaDeps, actor: Actor | null, id: string): Promise<Media> {
  const me = requireActor(actor);
  const row = await ownMedia(deps, me.userId, id);
  const store = mediaStoreOf(deps.config);
  if (row.status === 'processing') {
    await enqueueProcessing(deps, row.id);
    return mediaOf(row, store);
  }
  if (row.status !== 'pending_upload') {
    throw new AppError(
      'conflict',
      `This media is already ${row.status === 'ready' ? 'processed' : 'failed'}`,
    );
  }
  const stored = await store.stat(originalKey(row.key));
  if (!stored)
    throw new AppError('conflict', 'Nothing was uploaded yet: PUT the file to the upload URL first');
  if (stored.bytes !== row.bytes) {
    throw new AppError('conflict', `The upload has ${stored.bytes} bytes, not the ${row.bytes} declared`);
  }
  const processing = await markProcessing(deps.db, row.id, me.userId);
  if (!processing) return getMedia(deps, actor, id);
  await enqueueProcessing(deps, row.id);
  return mediaOf(processing, store);
}

export async function getMedia(
  deps: Pick<Deps, 'db' | 'config'>,
  actor: Actor | null,
  id: string,
): Promise<Media> {
  const me = requireActor(actor);
  return mediaOf(await ownMedia(deps, me.userId, id), mediaStoreOf(deps.config));
}

export async function updateMedia(
  deps: Pick<Deps, 'db' | 'config'>,
  actor: Actor | null,
  id: string,
  description: string,
): Promise<Media> {
  const me = requireActor(actor);
  const row = await updateDescription(deps.db, id, me.userId, description);
  if (!row) throw notFound('Media');
  return mediaOf(row, mediaStoreOf(deps.config));
}

/** Only unattached media: attached ones go with their post, event or avatar. */
export async function deleteMedia(deps: MediaDeps, actor: Actor | null, id: string): Promise<void> {
  const me = requireActor(actor);
  const row = await ownMedia(deps, me.userId, id);
  if (row.attached_as !== null) {
    throw new AppError(
      'conflict',
      `This media is attached to ${row.attached_as === 'post' ? 'a post' : `your ${row.attached_as}`}: delete that instead`,
    );
  }
  if (!(await deleteUnattached(deps.db, row.id, me.userId))) {
    throw new AppError('conflict', 'This media was attached meanwhile');
  }
  await collectSoon(deps);
}

/** After a commit that deleted media: their files go now, not at the next scheduled collection. */
export async function collectSoon(deps: Pick<Deps, 'queues'> & Partial<Pick<Deps, 'logger'>>): Promise<void> {
  // Not fatal: the collector runs every minute anyway.
  await queueMediaCollect(deps.queues).catch((error: unknown) =>
    deps.logger?.warn({ err: error }, 'media collection not queued; the schedule will run it'),
  );
}

/**
 * The refusal for media that cannot be attached (posts, covers, avatars alike): 404 for no such media, else
 * 409 saying which and why, with `details: { mediaId, reason, status? | attachedAs? }`.
 */
export async function refuseUnclaimable(
  db: Executor,
  ids: readonly string[],
  ownerId: string,
): Promise<never> {
  const why = await whyNotClaimable(db, ids, ownerId);
  if (!why) throw new AppError('conflict', 'A media changed meanwhile, try again');
  const { id, ...details } = why;
  switch (why.reason) {
    case 'unknown':
      throw notFound('Media');
    case 'missing':
      throw new AppError('conflict', `Media ${id} is not yours`, { mediaId: id, ...details });
    case 'not_ready':
      throw new AppError('conflict', `Media ${id} is not ready (${why.status}): wait until it is`, {
        mediaId: id,
        ...details,
      });
    case 'attached':
      throw new AppError('conflict', `Media ${id} is already attached (as ${why.attachedAs})`, {
        mediaId: id,
        ...details,
      });
  }
}
