// `plaza.media.upload()` against a real server and a real media worker: create → PUT → complete → ready,
// by polling and by the live push, and a file that is not what it claims ends in a PlazaError saying why.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createClient, PlazaError } from '@plaza/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { createUser } from '../helpers/factories.ts';
import { type PlazaProcess, startServer, startWorkers, stopAll } from '../helpers/processes.ts';
import { type Balancer, startBalancer } from '../helpers/tcp-balancer.ts';
import { photoJpeg } from '../media/images.ts';

let ctx: TestContext;
let mediaDir: string;
let server: PlazaProcess;
let workers: PlazaProcess;
let front: Balancer;

beforeAll(async () => {
  mediaDir = await mkdtemp(path.join(tmpdir(), 'plaza-sdk-media-'));
  // Upload and media URLs are absolute (PUBLIC_URL): the balancer's address is known before the server's.
  front = await startBalancer([]);
  ctx = await createTestContext({ MEDIA_DIR: mediaDir, PUBLIC_URL: front.url });
  [server, workers] = await Promise.all([
    startServer(ctx.env, 'sdk-media'),
    startWorkers(ctx.env, ['media']),
  ]);
  front.setBackends([server.port]);
});

afterAll(async () => {
  await front?.close();
  await stopAll([server, workers]);
  await ctx?.close();
  await rm(mediaDir, { recursive: true, force: true });
});

describe('plaza.media.upload', () => {
  it('uploads a photo with progress and alt text, waits until ready (polling) and returns its variants', async () => {
    const user = await createUser(ctx.db);
    const plaza = createClient({ url: front.url, token: user.token });
    const file = new Blob([new Uint8Array(await photoJpeg(1200, 900))], { type: 'image/jpeg' });
    const progress: Array<[number, number]> = [];

    const media = await plaza.media.upload(file, {
      description: 'A test card',
      onProgress: (sent, total) => progress.push([sent, total]),
    });

    expect(media).toMatchObject({ status: 'ready', description: 'A test card', width: 1200, height: 900 });
    expect(media.blurhash).toMatch(/^[0-9A-Za-z#$%*+,\-.:;=?@[\]^_{|}~]{6,}$/);
    expect(progress.at(-1)).toEqual([file.size, file.size]);
    for (const url of [media.url!, media.previewUrl!]) {
      expect(url.startsWith(`${front.url}/media/`)).toBe(true);
      const res = await fetch(url);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('image/webp');
    }
    expect(await plaza.media.get(media.id)).toEqual(media);
    const post = await plaza.posts.create('', [media.id]);
    expect(post.media.map((m) => m.id)).toEqual([media.id]);
  });

  it('with the live connection open, the media:updated push ends the wait', async () => {
    const user = await createUser(ctx.db);
    const plaza = createClient({ url: front.url, token: user.token });
    const pushed: string[] = [];
    await plaza.subscribe('me', {
      'media:updated': ({ media }) => pushed.push(`${media.id} ${media.status}`),
    });
    await plaza.live.ready();
    try {
      const file = new Blob([new Uint8Array(await photoJpeg(640, 480, 2))], { type: 'image/jpeg' });
      const media = await plaza.media.upload(file);
      expect(media.status).toBe('ready');
      expect(pushed).toContain(`${media.id} ready`);
    } finally {
      plaza.close();
    }
  });

  it('a file that is not the image it claims to be throws PlazaError with the failure reason', async () => {
    const user = await createUser(ctx.db);
    const plaza = createClient({ url: front.url, token: user.token });
    const fake = new Blob(['<html><body>not a picture</body></html>'], { type: 'image/png' });
    const error = await plaza.media.upload(fake).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PlazaError);
    const failure = error as PlazaError;
    expect(failure.message.length).toBeGreaterThan(0);
    expect(failure.details?.failureReason).toBe(failure.message);
    const media = await plaza.media.get(String(failure.details?.mediaId));
    expect(media).toMatchObject({ status: 'failed', failureReason: failure.message, url: null });
  });

  it('an unsupported type is refused before anything is uploaded', async () => {
    const user = await createUser(ctx.db);
    const plaza = createClient({ url: front.url, token: user.token });
    const error = await plaza.media
      .upload(new Blob(['%PDF-1.4'], { type: 'application/pdf' }))
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'unsupported_media_type', status: 415 });
  });
});
