// The media API over the local store, in-process: upload → complete → processed (the worker's own
// function, in this process) → attached to a post and an event → URLs served; every refusal of the contract.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Event, Media, MediaUpload, Post } from '@plaza/client/protocol';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../server/lib/logger.ts';
import { mediaStoreOf } from '../../server/media/store.factory.ts';
import { processMedia } from '../../workers/media.ts';
import type { ErrorReply, Harness } from '../feed/feed-harness.ts';
import { startHarness } from '../feed/feed-harness.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { createUser, type TestUser } from '../helpers/factories.ts';

let ctx: TestContext;
let h: Harness;
let dir: string;
let alice: TestUser;
let bob: TestUser;
let jpeg: Buffer;

const UPLOADS_PER_HOUR = 40;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'plaza-media-api-'));
  ctx = await createTestContext();
  h = startHarness(ctx, { MEDIA_DIR: dir, MEDIA_UPLOADS_PER_HOUR: String(UPLOADS_PER_HOUR) });
  alice = await createUser(ctx.db);
  bob = await createUser(ctx.db);
  jpeg = await sharp({ create: { width: 1200, height: 800, channels: 3, background: '#3a7' } })
    .jpeg()
    .toBuffer();
});

afterAll(async () => {
  await h.close();
  await ctx.close();
  await rm(dir, { recursive: true, force: true });
});

/** A PUT to the upload URL as a client sends it (the in-process app answers the local store's URL). */
const put = (upload: MediaUpload, body: Buffer, headers: Record<string, string> = upload.headers) =>
  h.app.request(upload.url, { method: 'PUT', headers, body: new Uint8Array(body) });

async function start(user: TestUser, body = jpeg, contentType = 'image/jpeg') {
  const [status, created] = await h.json<{ media: Media; upload: MediaUpload }>('POST', '/media', user, {
    contentType,
    bytes: body.length,
    description: 'a green field',
  });
  expect(status).toBe(201);
  return created;
}

/** Upload, complete and process with the worker's function: a ready media. */
async function readyMedia(user: TestUser): Promise<Media> {
  const { media, upload } = await start(user);
  expect((await put(upload, jpeg)).status).toBe(200);
  const [status, processing] = await h.json<Media>('POST', `/media/${media.id}/complete`, user);
  expect(status).toBe(202);
  expect(processing.status).toBe('processing');
  await processMedia(workerDeps(), media.id);
  const [, ready] = await h.json<Media>('GET', `/media/${media.id}`, user);
  expect(ready.status).toBe('ready');
  return ready;
}

/** What the media worker gets, over the app's own store and configuration. */
const workerDeps = () => ({
  db: ctx.db,
  store: mediaStoreOf(h.deps.config),
  logger: createLogger('silent', 'test'),
  limits: { maxPixels: h.deps.config.media.maxPixels },
});

describe('media over REST, local store', () => {
  it('GET /instance says the limits a client checks before sending', async () => {
    const [status, instance] = await h.json<Record<string, unknown>>('GET', '/instance', null);
    expect(status).toBe(200);
    expect(instance).toMatchObject({
      name: 'Plaza',
      limits: {
        mediaPerPost: 4,
        mediaMaxBytes: 10 * 1024 * 1024,
        mediaMaxPixels: 40_000_000,
        mediaTypes: expect.arrayContaining([
          'image/jpeg',
          'image/png',
          'image/webp',
          'image/gif',
          'image/avif',
        ]),
        bioChars: 500,
      },
    });
  });

  it('uploads, completes, processes and serves the variants with immutable caching and nosniff', async () => {
    const media = await readyMedia(alice);
    expect(media).toMatchObject({ status: 'ready', contentType: 'image/jpeg', description: 'a green field' });
    expect(media.width).toBe(1200);
    expect(media.url).toMatch(/^http:\/\/localhost:3000\/media\/[a-z2-7]{26}\/display\.webp$/);
    expect(media.blurhash).toBeTruthy();
    for (const url of [media.url, media.previewUrl] as string[]) {
      const res = await h.app.request(new URL(url).pathname);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('image/webp');
      expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      const meta = await sharp(Buffer.from(await res.arrayBuffer())).metadata();
      expect(meta.format).toBe('webp');
    }
    // The original is gone and would never be served anyway.
    const row = await ctx.db
      .selectFrom('media')
      .select('key')
      .where('id', '=', media.id)
      .executeTakeFirstOrThrow();
    expect((await h.app.request(`/media/uploads/${row.key}`)).status).toBe(404);
    expect((await h.app.request(`/uploads/${row.key}`)).status).toBe(404);
  });

  it('refuses a type it does not take (415) and a file over the limit (413)', async () => {
    const [s1, e1] = await h.json<ErrorReply>('POST', '/media', alice, {
      contentType: 'image/svg+xml',
      bytes: 10,
    });
    expect(s1).toBe(415);
    expect(e1.error.code).toBe('unsupported_media_type');
    const [s2, e2] = await h.json<ErrorReply>('POST', '/media', alice, {
      contentType: 'image/png',
      bytes: 11 * 1024 * 1024,
    });
    expect(s2).toBe(413);
    expect(e2.error.code).toBe('payload_too_large');
    const [s3] = await h.json<ErrorReply>('POST', '/media', null, { contentType: 'image/png', bytes: 10 });
    expect(s3).toBe(401);
  });

  it('the upload endpoint refuses a body longer or shorter than signed, another type, a forged or expired URL', async () => {
    const { media, upload } = await start(alice);
    const longer = Buffer.concat([jpeg, Buffer.from([0])]);
    expect(
      (await put(upload, longer, { ...upload.headers, 'Content-Length': String(longer.length) })).status,
    ).toBe(400);
    expect((await put(upload, jpeg, { ...upload.headers, 'Content-Type': 'image/png' })).status).toBe(403);
    const forged = new URL(upload.url);
    forged.searchParams.set('bytes', String(jpeg.length + 1));
    expect((await put({ ...upload, url: forged.href }, jpeg)).status).toBe(403);
    const expired = new URL(upload.url);
    expired.searchParams.set('expires', String(Math.floor(Date.now() / 1000) - 1));
    expect((await put({ ...upload, url: expired.href }, jpeg)).status).toBe(403);
    // Nothing was stored: complete says so.
    const [status, error] = await h.json<ErrorReply>('POST', `/media/${media.id}/complete`, alice);
    expect(status).toBe(409);
    expect(error.error.message).toMatch(/Nothing was uploaded/);
  });

  it('HTML declared as PNG ends failed with a reason', async () => {
    const html = Buffer.from('<!doctype html><html><body><script>alert(1)</script></body></html>');
    const { media, upload } = await start(alice, html, 'image/png');
    expect((await put(upload, html)).status).toBe(200);
    await h.json('POST', `/media/${media.id}/complete`, alice);
    await processMedia(workerDeps(), media.id);
    const [, failed] = await h.json<Media>('GET', `/media/${media.id}`, alice);
    expect(failed.status).toBe('failed');
    expect(failed.failureReason).toMatch(/PNG/);
    expect(failed.url).toBeNull();
  });

  it('a post shows its photos in order; someone else’s, unready, attached media and a fifth are refused', async () => {
    const [m1, m2] = [await readyMedia(alice), await readyMedia(alice)];
    const [status, post] = await h.json<Post>('POST', '/posts', alice, {
      body: '',
      mediaIds: [m2.id, m1.id],
    });
    expect(status).toBe(201);
    expect(post.body).toBe('');
    expect(post.media.map((m) => m.id)).toEqual([m2.id, m1.id]);
    const [, feed] = await h.json<{ items: Post[] }>('GET', '/posts', null);
    expect(feed.items.find((p) => p.id === post.id)?.media.map((m) => m.url)).toEqual([m2.url, m1.url]);

    const [again, e1] = await h.json<ErrorReply>('POST', '/posts', alice, {
      body: 'again',
      mediaIds: [m1.id],
    });
    expect(again).toBe(409);
    expect(e1.error.details).toMatchObject({ reason: 'attached' });
    const bobs = await readyMedia(bob);
    const [theirs, e2] = await h.json<ErrorReply>('POST', '/posts', alice, {
      body: 'x',
      mediaIds: [bobs.id],
    });
    expect(theirs).toBe(409);
    expect(e2.error.details).toMatchObject({ reason: 'missing' });
    const { media: pending } = await start(alice);
    const [unready, e3] = await h.json<ErrorReply>('POST', '/posts', alice, {
      body: 'x',
      mediaIds: [pending.id],
    });
    expect(unready).toBe(409);
    expect(e3.error.details).toMatchObject({ reason: 'not_ready' });
    const ids = ['0', '1', '2', '3', '4'].map((n) => `00000000-0000-7000-8000-00000000000${n}`);
    const [five] = await h.json<ErrorReply>('POST', '/posts', alice, { body: 'x', mediaIds: ids });
    expect(five).toBe(400);
    const [empty] = await h.json<ErrorReply>('POST', '/posts', alice, { body: '  ' });
    expect(empty).toBe(400);
    // A refused post left nothing behind: bob's media is still free for bob.
    const [bobPost] = await h.json<Post>('POST', '/posts', bob, { body: 'mine', mediaIds: [bobs.id] });
    expect(bobPost).toBe(201);
  });

  it('two posts racing for the same media: one gets it, the other 409', async () => {
    const m = await readyMedia(alice);
    const results = await Promise.all(
      [1, 2].map(() => h.json<Post>('POST', '/posts', alice, { body: 'race', mediaIds: [m.id] })),
    );
    expect(results.map(([s]) => s).sort()).toEqual([201, 409]);
    const attached = await ctx.db
      .selectFrom('media')
      .select('post_id')
      .where('id', '=', m.id)
      .executeTakeFirstOrThrow();
    const winner = results.find(([s]) => s === 201)?.[1] as Post;
    expect(attached.post_id).toBe(winner.id);
    const posts = await ctx.db.selectFrom('posts').select('id').where('body', '=', 'race').execute();
    expect(posts).toHaveLength(1);
  });

  it('deleting a post deletes its media rows and queues their files', async () => {
    const m = await readyMedia(alice);
    const [, post] = await h.json<Post>('POST', '/posts', alice, { body: 'bye', mediaIds: [m.id] });
    const row = await ctx.db
      .selectFrom('media')
      .select('key')
      .where('id', '=', m.id)
      .executeTakeFirstOrThrow();
    expect((await h.call('DELETE', `/posts/${post.id}`, alice)).status).toBe(204);
    expect(
      await ctx.db.selectFrom('media').select('id').where('id', '=', m.id).executeTakeFirst(),
    ).toBeUndefined();
    const garbage = await ctx.db
      .selectFrom('media_garbage')
      .select('key')
      .where('key', '=', row.key)
      .executeTakeFirst();
    expect(garbage?.key).toBe(row.key);
  });

  it('an event takes a cover (the 1600×900 crop), replaces it and removes it', async () => {
    const [c1, c2] = [await readyMedia(alice), await readyMedia(alice)];
    const startsAt = new Date(Date.now() + 86_400_000).toISOString();
    const endsAt = new Date(Date.now() + 90_000_000).toISOString();
    const [status, event] = await h.json<Event>('POST', '/events', alice, {
      title: 'Picnic',
      description: 'Bring food',
      startsAt,
      endsAt,
      coverMediaId: c1.id,
    });
    expect(status).toBe(201);
    expect(event.cover).toMatchObject({ id: c1.id, width: 1600, height: 900 });
    expect(event.cover?.url).toMatch(/\/cover\.webp$/);
    const [, moved] = await h.json<Event>('PATCH', `/events/${event.id}`, alice, { coverMediaId: c2.id });
    expect(moved.cover?.id).toBe(c2.id);
    expect(
      await ctx.db.selectFrom('media').select('id').where('id', '=', c1.id).executeTakeFirst(),
    ).toBeUndefined();
    const [bobTries] = await h.json<ErrorReply>('PATCH', `/events/${event.id}`, bob, { coverMediaId: null });
    expect(bobTries).toBe(403);
    const [, none] = await h.json<Event>('PATCH', `/events/${event.id}`, alice, { coverMediaId: null });
    expect(none.cover).toBeNull();
  });

  it('alt text changes; only unattached media are deleted; others’ media are not found', async () => {
    const m = await readyMedia(alice);
    const [, changed] = await h.json<Media>('PATCH', `/media/${m.id}`, alice, { description: '  a dog  ' });
    expect(changed.description).toBe('a dog');
    expect((await h.call('GET', `/media/${m.id}`, bob)).status).toBe(404);
    expect((await h.call('DELETE', `/media/${m.id}`, bob)).status).toBe(404);
    await h.json<Post>('POST', '/posts', alice, { body: 'dog', mediaIds: [m.id] });
    expect((await h.call('DELETE', `/media/${m.id}`, alice)).status).toBe(409);
    const free = await readyMedia(alice);
    expect((await h.call('DELETE', `/media/${free.id}`, alice)).status).toBe(204);
    expect((await h.call('GET', `/media/${free.id}`, alice)).status).toBe(404);
  });

  it('limits uploads per user per hour (429 with retryAfterMs)', async () => {
    const carol = await createUser(ctx.db);
    const statuses: number[] = [];
    for (let i = 0; i <= UPLOADS_PER_HOUR; i++) {
      const [status] = await h.json('POST', '/media', carol, { contentType: 'image/png', bytes: 100 });
      statuses.push(status);
    }
    expect(statuses.filter((s) => s === 201)).toHaveLength(UPLOADS_PER_HOUR);
    expect(statuses.at(-1)).toBe(429);
  });
});
