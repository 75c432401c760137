// The `media` worker as it runs: a real worker process, rows and originals put in place the way
// `POST /media/:id/complete` leaves them (status `processing`, the original under `uploads/<token>`, a job).
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Job } from 'bullmq';
import { sql } from 'kysely';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Queues } from '../../server/jobs/queues.ts';
import { newId } from '../../server/lib/ids.ts';
import { closeRedis, createRedis } from '../../server/lib/redis.ts';
import { LocalStore } from '../../server/media/local-store.ts';
import { enqueueProcessing } from '../../server/media/media.service.ts';
import {
  newMediaToken,
  objectKeysOf,
  originalKey,
  VARIANT_NAMES,
  variantKey,
} from '../../server/media/media.store.ts';
import {
  createMediaHandler,
  mediaJobFailed,
  PROCESSING_FAILED,
  UPLOAD_MISSING,
} from '../../workers/media.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { createUser, type TestUser } from '../helpers/factories.ts';
import { type PlazaProcess, startWorkers, stopAll } from '../helpers/processes.ts';
import { waitFor } from '../helpers/wait.ts';
import { gpsJpeg, photoJpeg, pngBomb } from './images.ts';

let ctx: TestContext;
let mediaDir: string;
let store: LocalStore;
let redis: ReturnType<typeof createRedis>;
let queues: Queues;
let workers: PlazaProcess;
let owner: TestUser;
const stopped: PlazaProcess[] = [];

beforeAll(async () => {
  mediaDir = await mkdtemp(path.join(tmpdir(), 'plaza-media-'));
  ctx = await createTestContext({ MEDIA_DIR: mediaDir });
  store = new LocalStore({
    dir: mediaDir,
    secret: 'test',
    origin: new URL('http://127.0.0.1/'),
    publicBase: '/',
  });
  redis = createRedis(ctx.redisUrl, 'commands', 'media-worker-test');
  queues = new Queues(redis, ctx.redisPrefix);
  [workers, owner] = await Promise.all([startWorkers(ctx.env, ['media']), createUser(ctx.db)]);
});

afterAll(async () => {
  await stopAll([workers, ...stopped]);
  await queues?.close();
  if (redis) await closeRedis(redis);
  await ctx?.close();
  if (mediaDir) await rm(mediaDir, { recursive: true, force: true });
});

/** A media row `processing` under a fresh key, as `complete` leaves it (the original is the caller's). */
async function processingRow(contentType: string, bytes: number): Promise<{ id: string; key: string }> {
  const id = newId();
  const key = newMediaToken();
  await ctx.db
    .insertInto('media')
    .values({
      id,
      owner_id: owner.id,
      status: 'processing',
      content_type: contentType,
      bytes,
      key,
      completed_at: new Date(),
    })
    .execute();
  return { id, key };
}

/** What `complete` leaves behind: the original stored, the row `processing`, the job queued. */
async function uploaded(bytes: Buffer, contentType: string): Promise<{ id: string; key: string }> {
  const row = await processingRow(contentType, bytes.length);
  await store.put(originalKey(row.key), bytes, contentType);
  await enqueueProcessing({ queues }, row.id);
  return row;
}

const statusOf = async (id: string) =>
  ctx.db.selectFrom('media').selectAll().where('id', '=', id).executeTakeFirstOrThrow();

async function settled(id: string, timeoutMs = 30_000) {
  return waitFor(
    async () => {
      const row = await statusOf(id);
      return row.status === 'ready' || row.status === 'failed' ? row : undefined;
    },
    { timeoutMs, intervalMs: 50, what: `media ${id} ready or failed` },
  );
}

async function pushesAbout(id: string) {
  const { rows } = await sql<{ rooms: string[]; data: { media: { id: string; status: string } } }>`
    select rooms, data from event_log where type = 'media:updated' and data->'media'->>'id' = ${id}`.execute(
    ctx.db,
  );
  return rows;
}

/** Peak resident memory of a process, in bytes (VmHWM: the high-water mark since it started). */
async function peakRss(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = /VmHWM:\s+(\d+) kB/.exec(status)?.[1];
  if (!kb) throw new Error(`no VmHWM for ${pid}`);
  return Number(kb) * 1024;
}

/** A media row already `processing` whose original was never stored. */
const processingWithoutOriginal = async (): Promise<string> => (await processingRow('image/png', 10)).id;

describe('media worker', () => {
  it('refuses a 30,000 × 30,000 PNG fast, its memory never past 200 MB', async () => {
    // First in this file: the worker process has processed nothing else, its peak memory is this image's.
    const idlePeak = await peakRss(workers.pid);
    const started = Date.now();
    const { id, key } = await uploaded(pngBomb(30_000, 30_000), 'image/png');
    const row = await settled(id, 15_000);
    const elapsed = Date.now() - started;
    expect(row.status).toBe('failed');
    expect(row.failure_reason).toBe('larger than 40 megapixels (30000 × 30000 is 900 megapixels)');
    // How fast is the bench's and the log's to say (a loaded machine is slow); that nothing was decoded is
    // the memory's, below.
    const peak = await peakRss(workers.pid);
    const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(0);
    console.log(
      `bomb refused in ${elapsed} ms; worker peak RSS ${mib(peak)} MiB (idle ${mib(idlePeak)} MiB)`,
    );
    expect(peak).toBeLessThan(200 * 1024 * 1024);
    // Decoding even a sliver of 30,000 × 30,000 RGB would add hundreds of MiB.
    expect(peak - idlePeak).toBeLessThan(32 * 1024 * 1024);
    // The original goes after the commit that marked the media failed: wait for it, do not race it.
    await waitFor(async () => (await store.stat(originalKey(key))) === undefined, {
      what: 'the refused original to be deleted',
    });
    const pushes = await pushesAbout(id);
    expect(pushes).toHaveLength(1);
    expect(pushes[0]!.data.media).toMatchObject({
      status: 'failed',
      failureReason: 'larger than 40 megapixels (30000 × 30000 is 900 megapixels)',
    });
  });

  it('turns an upload into its variants: stored, the row ready, the original gone, one push to its owner', async () => {
    const { id, key } = await uploaded(await gpsJpeg(1200, 900), 'image/jpeg');
    const row = await settled(id);
    expect(row.status).toBe('ready');
    expect([row.width, row.height]).toEqual([900, 1200]);
    expect(row.blurhash).toHaveLength(28);
    expect(row.ready_at).not.toBeNull();
    expect(row.variants).toEqual({
      display: { key: variantKey(key, 'display'), width: 900, height: 1200 },
      preview: { key: variantKey(key, 'preview'), width: 480, height: 640 },
      avatarLarge: { key: variantKey(key, 'avatar-400'), width: 400, height: 400 },
      avatarSmall: { key: variantKey(key, 'avatar-96'), width: 96, height: 96 },
      cover: { key: variantKey(key, 'cover'), width: 1600, height: 900 },
    });
    for (const name of VARIANT_NAMES) {
      const variant = await store.get(variantKey(key, name));
      expect(variant?.toString('latin1', 8, 12), name).toBe('WEBP');
      expect(variant?.includes('PlazaCam'), name).toBe(false);
    }
    await waitFor(async () => (await store.stat(originalKey(key))) === undefined, {
      what: 'the processed original to be deleted',
    });
    const pushes = await pushesAbout(id);
    expect(pushes).toHaveLength(1);
    expect(pushes[0]!.rooms).toEqual([`user:${owner.id}`]);
    expect(pushes[0]!.data.media).toMatchObject({ id, status: 'ready', width: 900, height: 1200 });
  });

  it('marks HTML declared as PNG failed, with the reason, and keeps none of it', async () => {
    const html = Buffer.from('<!doctype html><html><body><script>steal()</script></body></html>');
    const { id, key } = await uploaded(html, 'image/png');
    const row = await settled(id);
    expect(row.status).toBe('failed');
    expect(row.failure_reason).toBe('not a PNG image (the file is HTML)');
    expect(row.variants).toBeNull();
    for (const objectKey of objectKeysOf(key)) expect(await store.stat(objectKey), objectKey).toBeUndefined();
    expect(await pushesAbout(id)).toHaveLength(1);
  });

  it('marks an upload whose original is not in the store failed', async () => {
    const id = await processingWithoutOriginal();
    await enqueueProcessing({ queues }, id);
    const row = await settled(id);
    expect([row.status, row.failure_reason]).toEqual(['failed', UPLOAD_MISSING]);
  });

  it('an unexpected error is retried; the last attempt answers "could not be processed"', async () => {
    // In process, with a store that cannot be read: the handler as BullMQ calls it, attempt by attempt.
    const broken = Object.assign(Object.create(store) as LocalStore, {
      get: () => Promise.reject(new Error('EIO: the disk is on fire')),
    });
    const handle = createMediaHandler({
      db: ctx.db,
      store: broken,
      logger: pino({ level: 'silent' }),
      limits: { maxPixels: 40_000_000 },
    });
    const id = await processingWithoutOriginal();
    const attempt = (attemptsMade: number) => ({ attemptsMade, opts: { attempts: 3 } }) as unknown as Job;
    for (const made of [0, 1]) {
      await expect(handle({ task: 'process', mediaId: id }, attempt(made))).rejects.toThrow(
        'disk is on fire',
      );
      expect((await statusOf(id)).status).toBe('processing');
    }
    await expect(handle({ task: 'process', mediaId: id }, attempt(2))).rejects.toThrow('disk is on fire');
    const row = await statusOf(id);
    expect([row.status, row.failure_reason]).toEqual(['failed', PROCESSING_FAILED]);
    expect((await pushesAbout(id)).map((p) => p.data.media.status)).toEqual(['failed']);
  });

  it('a job BullMQ gives up on (stalled too often) leaves its media failed, not processing', async () => {
    const id = await processingWithoutOriginal();
    const deps = { db: ctx.db, store, logger: pino({ level: 'silent' }), limits: { maxPixels: 40_000_000 } };
    const job = (attemptsMade: number, failedReason: string) =>
      ({
        attemptsMade,
        failedReason,
        opts: { attempts: 3 },
        data: { task: 'process', mediaId: id },
      }) as unknown as Job;
    // An ordinary failure with attempts left: BullMQ will retry, the media stays processing.
    await mediaJobFailed(deps, job(1, 'EIO'));
    expect((await statusOf(id)).status).toBe('processing');
    await mediaJobFailed(deps, job(1, 'job stalled more than allowable limit'));
    const row = await statusOf(id);
    expect([row.status, row.failure_reason]).toEqual(['failed', PROCESSING_FAILED]);
    // Said once: a second `failed` event changes nothing.
    await mediaJobFailed(deps, job(3, 'EIO'));
    expect(await pushesAbout(id)).toHaveLength(1);
  });

  it('a worker SIGKILLed mid-processing: after a restart every media ends ready, exactly once', async () => {
    // Large photos (12 MP), so the kill lands while some are being processed and others wait.
    const photo = await photoJpeg(4000, 3000);
    const media: Array<{ id: string; key: string }> = [];
    for (let i = 0; i < 8; i++) media.push(await uploaded(photo, 'image/jpeg'));
    const queue = queues.get('media');
    // Kill once the first is ready and the worker holds others in hand.
    await waitFor(
      async () => {
        const { rows } = await sql<{ n: number }>`
          select count(*)::int as n from media where status = 'ready' and id = any(${media.map((m) => m.id)}::uuid[])`.execute(
          ctx.db,
        );
        return rows[0]!.n >= 1 && (await queue.getActiveCount()) > 0;
      },
      { timeoutMs: 60_000, intervalMs: 20, what: 'a first photo ready, others in progress' },
    );
    const readyAtKill = await ctx.db
      .selectFrom('media')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('status', '=', 'ready')
      .where(
        'id',
        'in',
        media.map((m) => m.id),
      )
      .executeTakeFirstOrThrow();
    stopped.push(workers);
    await workers.kill();
    workers = await startWorkers(ctx.env, ['media']);

    for (const { id, key } of media) {
      const row = await settled(id, 90_000);
      expect(row.status, id).toBe('ready');
      // A kill between the commit and the original's deletion: the job's retry (once its lock has expired)
      // finds the row ready and deletes the original then.
      await waitFor(async () => (await store.stat(originalKey(key))) === undefined, {
        timeoutMs: 30_000,
        intervalMs: 100,
        what: `the original of ${id} deleted`,
      });
      for (const name of VARIANT_NAMES) expect(await store.stat(variantKey(key, name)), name).toBeDefined();
      const pushes = await pushesAbout(id);
      expect(
        pushes.map((p) => p.data.media.status),
        id,
      ).toEqual(['ready']);
    }
    console.log(`worker killed with ${readyAtKill.n}/${media.length} photos ready`);
    expect(Number(readyAtKill.n)).toBeLessThan(media.length);
  }, 180_000);
});
