// Media past their time are deleted (uploads never completed after 1 h, never attached after 24 h, on an
// injected clock); the files of every deleted media leave the store after commit; the reconciler finds
// stored files no row names and rows whose files are gone, and fixes them unless dry.
import { mkdir, mkdtemp, rm, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { MediaAttachment, MediaStatus } from '../../server/db/schema.ts';
import { Queues } from '../../server/jobs/queues.ts';
import { newId } from '../../server/lib/ids.ts';
import { createLogger } from '../../server/lib/logger.ts';
import { closeRedis, createRedis } from '../../server/lib/redis.ts';
import { LocalStore } from '../../server/media/local-store.ts';
import { collectMediaGarbage, queueMediaCollect, sweepMedia } from '../../server/media/media.cleanup.ts';
import { MISSING_FILES_REASON, reconcileMedia } from '../../server/media/media.reconcile.ts';
import { newMediaToken, objectKeysOf, originalKey, variantKey } from '../../server/media/media.store.ts';
import { runMaintenance } from '../../workers/maintenance.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { createUser } from '../helpers/factories.ts';
import { spawnPlaza } from '../helpers/processes.ts';

let ctx: TestContext;
let dir: string;
let store: LocalStore;
let ownerId: string;

const HOUR = 60 * 60_000;
/** The sweep's clock: far from the real one, so rows made "now" by the database never count as old. */
const NOW = new Date('2031-03-01T12:00:00Z');
const ago = (ms: number) => new Date(NOW.getTime() - ms);

beforeAll(async () => {
  ctx = await createTestContext();
  dir = await mkdtemp(path.join(tmpdir(), 'plaza-media-cleanup-'));
  store = new LocalStore({
    dir,
    secret: 'media cleanup test secret, 32 bytes or more',
    origin: new URL('http://127.0.0.1:3000'),
    publicBase: 'http://127.0.0.1:3000/',
  });
  ownerId = (await createUser(ctx.db)).id;
});

afterAll(async () => {
  await ctx?.close();
  await rm(dir, { recursive: true, force: true });
});

beforeEach(async () => {
  await ctx.db.deleteFrom('media').execute();
  await ctx.db.deleteFrom('media_garbage').execute();
  // Each test starts with an empty store: left-over files would be the reconciler's orphans.
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
});

interface MediaSpec {
  status: MediaStatus;
  createdAt: Date;
  attachedAs?: Exclude<MediaAttachment, 'post'>;
  /** Write its original and its variants to the store (default: as its status implies). */
  files?: boolean;
}

/** A media row (and its files): returns its id and token. */
async function media(spec: MediaSpec): Promise<{ id: string; token: string }> {
  const id = newId();
  const token = newMediaToken();
  const ready = spec.status === 'ready';
  const variant = (name: Parameters<typeof variantKey>[1], size: number) => ({
    key: variantKey(token, name),
    width: size,
    height: size,
  });
  await ctx.db
    .insertInto('media')
    .values({
      id,
      owner_id: ownerId,
      status: spec.status,
      content_type: 'image/png',
      bytes: 1000,
      key: token,
      created_at: spec.createdAt,
      variants: ready
        ? JSON.stringify({
            display: variant('display', 800),
            preview: variant('preview', 640),
            avatarLarge: variant('avatar-400', 400),
            avatarSmall: variant('avatar-96', 96),
            cover: variant('cover', 900),
          })
        : null,
      attached_as: spec.attachedAs ?? null,
      attached_at: spec.attachedAs ? spec.createdAt : null,
    })
    .execute();
  if (spec.files ?? true) {
    if (ready) {
      for (const name of ['display', 'preview', 'avatar-400', 'avatar-96', 'cover'] as const) {
        await store.put(variantKey(token, name), Buffer.from(name), 'image/webp');
      }
    } else {
      await store.put(originalKey(token), Buffer.from('original'), 'image/png');
    }
  }
  return { id, token };
}

const storedKeysOf = async (token: string) => {
  const present: string[] = [];
  for (const key of objectKeysOf(token)) if (await store.stat(key)) present.push(key);
  return present;
};
const rowIds = async () =>
  (await ctx.db.selectFrom('media').select('id').orderBy('id').execute()).map((r) => r.id);
const garbage = async () =>
  (await ctx.db.selectFrom('media_garbage').select('key').execute()).map((r) => r.key).sort();

describe('sweepMedia and collectMediaGarbage', () => {
  it('deletes exactly the media past their time, then their files; the rest stays whole', async () => {
    const uncompleted = await media({ status: 'pending_upload', createdAt: ago(HOUR + 60_000) });
    const uploading = await media({ status: 'pending_upload', createdAt: ago(HOUR - 60_000) });
    const forgotten = await media({ status: 'ready', createdAt: ago(24 * HOUR + 60_000) });
    const stuck = await media({ status: 'processing', createdAt: ago(25 * HOUR), files: false });
    const recent = await media({ status: 'ready', createdAt: ago(24 * HOUR - 60_000) });
    const failed = await media({ status: 'failed', createdAt: ago(2 * HOUR), files: false });
    const avatar = await media({ status: 'ready', createdAt: ago(48 * HOUR), attachedAs: 'avatar' });

    expect(await sweepMedia(ctx.db, NOW)).toEqual({ uncompleted: 1, unattached: 2 });
    const kept = [uploading, recent, failed, avatar];
    expect(await rowIds()).toEqual(kept.map((m) => m.id).sort());
    // The trigger queued every deleted row's token; no file has gone yet (that is after commit).
    expect(await garbage()).toEqual([uncompleted.token, forgotten.token, stuck.token].sort());
    expect(await storedKeysOf(uncompleted.token)).toEqual([originalKey(uncompleted.token)]);

    expect(await collectMediaGarbage(ctx.db, store)).toBe(3);
    for (const gone of [uncompleted, forgotten, stuck]) expect(await storedKeysOf(gone.token)).toEqual([]);
    expect(await storedKeysOf(uploading.token)).toEqual([originalKey(uploading.token)]);
    expect(await storedKeysOf(recent.token)).toHaveLength(5);
    expect(await storedKeysOf(avatar.token)).toHaveLength(5);
    expect(await garbage()).toEqual([]);

    // Nothing else is old enough until the clock moves on.
    expect(await sweepMedia(ctx.db, NOW)).toEqual({ uncompleted: 0, unattached: 0 });
    expect(await sweepMedia(ctx.db, new Date(NOW.getTime() + 2 * HOUR))).toEqual({
      uncompleted: 1,
      unattached: 1,
    });
  });

  it('runs as the maintenance tasks: the sweep on its clock, the collector for any deleted media', async () => {
    const logger = createLogger('silent', 'test');
    const deps = { db: ctx.db, logger, eventLogRetentionHours: 24, mediaStore: store, now: () => NOW };
    const expired = await media({ status: 'ready', createdAt: ago(30 * HOUR) });
    await runMaintenance(deps, { task: 'media-sweep' });
    expect(await rowIds()).toEqual([]);
    // The sweep collects what it deleted at once.
    expect(await storedKeysOf(expired.token)).toEqual([]);

    // An account deleted with its avatar: the row goes by cascade, its files with the next collection.
    const user = await createUser(ctx.db);
    const token = newMediaToken();
    await ctx.db
      .insertInto('media')
      .values({
        id: newId(),
        owner_id: user.id,
        status: 'ready',
        content_type: 'image/jpeg',
        bytes: 10,
        key: token,
        attached_as: 'avatar',
      })
      .execute();
    await store.put(variantKey(token, 'avatar-400'), Buffer.from('a'), 'image/webp');
    await ctx.db.deleteFrom('users').where('id', '=', user.id).execute();
    expect(await garbage()).toEqual([token]);
    await runMaintenance(deps, { task: 'media-collect' });
    expect(await storedKeysOf(token)).toEqual([]);
    expect(await garbage()).toEqual([]);
  });

  it('collects in batches until nothing is left', async () => {
    const tokens: string[] = [];
    for (let i = 0; i < 5; i++) tokens.push((await media({ status: 'ready', createdAt: ago(HOUR) })).token);
    await ctx.db.deleteFrom('media').execute();
    expect(await collectMediaGarbage(ctx.db, store, 2)).toBe(5);
    for (const token of tokens) expect(await storedKeysOf(token)).toEqual([]);
    expect(await garbage()).toEqual([]);
  });

  it('keeps the queued keys when the store fails, for the next collection', async () => {
    const { token } = await media({ status: 'ready', createdAt: ago(HOUR) });
    await ctx.db.deleteFrom('media').execute();
    const failing = {
      delete: async () => {
        throw new Error('store unreachable');
      },
    };
    await expect(collectMediaGarbage(ctx.db, failing)).rejects.toThrow('store unreachable');
    expect(await garbage()).toEqual([token]);
    expect(await collectMediaGarbage(ctx.db, store)).toBe(1);
    expect(await storedKeysOf(token)).toEqual([]);
  });

  it('queues one collection however many commits ask for it', async () => {
    const redis = createRedis(ctx.redisUrl, 'commands', 'test-media-collect');
    const queues = new Queues(redis, ctx.redisPrefix);
    try {
      await queueMediaCollect(queues);
      await queueMediaCollect(queues);
      const queue = queues.get('maintenance');
      expect(await queue.getWaitingCount()).toBe(1);
      const job = await queue.getJob('media-collect');
      expect(job?.data).toEqual({ task: 'media-collect' });
    } finally {
      await queues.close();
      await closeRedis(redis);
    }
  });
});

describe('reconcileMedia', () => {
  /** What the reconciler sees: objects and rows written well before `later`. */
  const later = () => new Date(Date.now() + 2 * HOUR);

  async function scene() {
    const whole = await media({ status: 'ready', createdAt: new Date() });
    const broken = await media({ status: 'ready', createdAt: new Date(), files: false });
    const brokenAvatar = await media({
      status: 'ready',
      createdAt: new Date(),
      attachedAs: 'avatar',
      files: false,
    });
    const uploading = await media({ status: 'pending_upload', createdAt: new Date() });
    const orphan = originalKey(newMediaToken());
    await store.put(orphan, Buffer.from('nobody knows me'), 'image/png');
    const orphanVariant = variantKey(newMediaToken(), 'preview');
    await store.put(orphanVariant, Buffer.from('nor me'), 'image/webp');
    // Deleted, its files not collected yet: not an orphan (the collector will take them).
    const queued = await media({ status: 'ready', createdAt: new Date() });
    await ctx.db.deleteFrom('media').where('id', '=', queued.id).execute();
    return { whole, broken, brokenAvatar, uploading, orphan, orphanVariant, queued };
  }

  it('reports without changing anything on a dry run, then fixes what it reported', async () => {
    const s = await scene();
    const statusOf = async (id: string) =>
      ctx.db
        .selectFrom('media')
        .select(['status', 'failure_reason'])
        .where('id', '=', id)
        .executeTakeFirstOrThrow();

    const dry = await reconcileMedia(ctx.db, store, { dryRun: true, now: later() });
    const orphans = dry.findings.flatMap((f) => (f.kind === 'orphan-object' ? [f.key] : []));
    const missing = dry.findings.flatMap((f) => (f.kind === 'missing-files' ? [f.mediaId] : []));
    expect(orphans.sort()).toEqual([s.orphan, s.orphanVariant].sort());
    expect(missing.sort()).toEqual([s.broken.id, s.brokenAvatar.id].sort());
    expect(dry.garbageQueued).toBe(1);
    expect(dry.objectsRemoved + dry.rowsMarkedFailed).toBe(0);
    expect(await store.stat(s.orphan)).toBeDefined();
    expect((await statusOf(s.broken.id)).status).toBe('ready');

    const fixed = await reconcileMedia(ctx.db, store, { dryRun: false, now: later() });
    expect(fixed.findings).toHaveLength(4);
    expect(fixed).toMatchObject({ objectsRemoved: 2, rowsMarkedFailed: 1, attachedLeft: 1 });
    expect(await store.stat(s.orphan)).toBeUndefined();
    expect(await store.stat(s.orphanVariant)).toBeUndefined();
    expect(await statusOf(s.broken.id)).toEqual({ status: 'failed', failure_reason: MISSING_FILES_REASON });
    // An avatar stays as it is: reported again, for a person to decide.
    expect((await statusOf(s.brokenAvatar.id)).status).toBe('ready');
    expect(await storedKeysOf(s.whole.token)).toHaveLength(5);
    expect(await storedKeysOf(s.uploading.token)).toEqual([originalKey(s.uploading.token)]);
    expect(await storedKeysOf(s.queued.token)).toHaveLength(5);

    const again = await reconcileMedia(ctx.db, store, { dryRun: true, now: later() });
    expect(again.findings).toEqual([
      expect.objectContaining({ kind: 'missing-files', mediaId: s.brokenAvatar.id, attachedAs: 'avatar' }),
    ]);
  });

  it('leaves unknown objects younger than an hour alone: their upload may be under way', async () => {
    const fresh = originalKey(newMediaToken());
    await store.put(fresh, Buffer.from('arriving'), 'image/png');
    const report = await reconcileMedia(ctx.db, store, { dryRun: false });
    expect(report.findings).toEqual([]);
    expect(report.recentSkipped).toBe(1);
    expect(await store.stat(fresh)).toBeDefined();
  });

  it('is `npm run cli -- media reconcile [--dry-run]`, one line per finding and a summary', async () => {
    const s = await scene();
    // Older than the grace hour on the real clock the command uses.
    const old = new Date(Date.now() - 2 * HOUR);
    await utimes(path.join(dir, s.orphan), old, old);
    await utimes(path.join(dir, s.orphanVariant), old, old);
    const env = { ...ctx.env, STORAGE: 'local', MEDIA_DIR: dir };
    const run = async (...args: string[]) => {
      const child = spawnPlaza('cli', 'server/cli.ts', env, ['media', 'reconcile', ...args]);
      const exit = await child.exited;
      return {
        code: exit.code,
        stdout: child.logs.map((l) => String(l.raw ?? JSON.stringify(l))).join('\n'),
      };
    };

    const dry = await run('--dry-run');
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain(`orphan object ${s.orphan}`);
    expect(dry.stdout).toContain(`media ${s.broken.id} (ready, unattached)`);
    expect(dry.stdout).toContain('2 orphan object(s), 2 media with missing files');
    expect(dry.stdout).toContain('Dry run: nothing changed');
    expect(await store.stat(s.orphan)).toBeDefined();

    const real = await run();
    expect(real.code).toBe(0);
    expect(real.stdout).toContain(`orphan object ${s.orphan}`);
    expect(real.stdout).toContain('removed');
    expect(real.stdout).toContain('Removed 2 object(s); marked 1 media failed; left 1 attached one(s)');
    expect(await store.stat(s.orphan)).toBeUndefined();

    const usage = await run('--force');
    expect(usage.code).toBe(2);
  });
});
