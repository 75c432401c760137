// The same contract for both media stores: the local one (its upload and download endpoints on the
// in-process app) and S3 (against s3rver, a real S3-compatible HTTP server that checks SigV4). A presigned
// PUT stores exactly what was signed; another length, another type or a late PUT is refused by the store.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalStore } from '../../server/media/local-store.ts';
import {
  type MediaStore,
  newMediaToken,
  originalKey,
  type PresignedPut,
  variantKey,
} from '../../server/media/media.store.ts';
import type { S3Store } from '../../server/media/s3-store.ts';
import { mediaStoreOf } from '../../server/media/store.factory.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { createInProcessApp, type InProcessApp } from '../helpers/in-process-app.ts';
import { waitFor } from '../helpers/wait.ts';
import { type RunningS3, startS3rver } from './s3rver.ts';

interface Answer {
  status: number;
  body: Buffer;
  headers: Headers;
}

type SendInit = { method: 'PUT' | 'GET'; headers?: Record<string, string>; body?: Buffer };

/** A store and the HTTP a client would speak to it. */
interface Subject {
  store: MediaStore;
  /** A request to a presigned URL with these headers and body, as an SDK or a browser sends it. */
  send(url: string, init: SendInit): Promise<Answer>;
  close(): Promise<void>;
}

/** fetch's types take a Uint8Array over an ArrayBuffer, not a Buffer. */
const requestInit = (init: SendInit): RequestInit => ({
  ...init,
  body: init.body ? new Uint8Array(init.body) : undefined,
});

const answerOf = async (response: Response): Promise<Answer> => ({
  status: response.status,
  body: Buffer.from(await response.arrayBuffer()),
  headers: response.headers,
});

async function localSubject(): Promise<Subject & { ctx: TestContext; app: InProcessApp }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'plaza-local-store-'));
  const ctx = await createTestContext();
  const app = createInProcessApp(ctx, {}, { MEDIA_DIR: dir, STORAGE: 'local' });
  const store = mediaStoreOf(app.deps.config);
  if (!(store instanceof LocalStore)) throw new Error('expected the local store');
  return {
    ctx,
    app,
    store,
    send: async (url, init) => answerOf(await app.app.request(url, requestInit(init))),
    close: async () => {
      await app.close();
      await ctx.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function s3Subject(): Promise<Subject & { s3: RunningS3; s3Store: S3Store }> {
  const s3 = await startS3rver();
  const store = s3.store();
  return {
    s3,
    s3Store: store,
    store,
    send: async (url, init) => answerOf(await fetch(url, requestInit(init))),
    close: () => s3.close(),
  };
}

const IMAGE_TYPE = 'image/png';
const bodyOf = (bytes: number) => randomBytes(bytes);

const subjects = [
  { name: 'local', start: localSubject },
  { name: 's3', start: s3Subject },
] as const;

describe.each(subjects)('the $name store', ({ start }) => {
  let subject: Subject;
  beforeAll(async () => {
    subject = await start();
  });
  afterAll(async () => {
    await subject?.close();
  });

  const presign = (key: string, bytes: number, expiresInSeconds = 600): Promise<PresignedPut> =>
    subject.store.presignPut(key, { contentType: IMAGE_TYPE, bytes, expiresInSeconds });

  it('stores a presigned PUT sent with exactly the signed headers', async () => {
    const key = originalKey(newMediaToken());
    const body = bodyOf(1500);
    const put = await presign(key, body.length);
    expect(put.headers).toEqual({ 'Content-Type': IMAGE_TYPE, 'Content-Length': '1500' });
    expect(put.expiresAt.getTime()).toBeGreaterThan(Date.now() + 590_000);

    const answer = await subject.send(put.url, { method: 'PUT', headers: put.headers, body });
    expect(answer.status).toBe(200);
    expect(await subject.store.stat(key)).toEqual({ bytes: 1500 });
    expect((await subject.store.get(key))?.equals(body)).toBe(true);
  });

  it('refuses a body one byte longer than signed, and keeps nothing', async () => {
    const key = originalKey(newMediaToken());
    const body = bodyOf(1000);
    const put = await presign(key, body.length - 1);
    // An HTTP client states the length it sends: one more than the signature covers.
    const answer = await subject.send(put.url, {
      method: 'PUT',
      headers: { ...put.headers, 'Content-Length': String(body.length) },
      body,
    });
    expect(answer.status).toBeGreaterThanOrEqual(400);
    expect(answer.status).toBeLessThan(500);
    expect(await subject.store.stat(key)).toBeUndefined();

    // And the URL still takes what it was signed for.
    const exact = await subject.send(put.url, {
      method: 'PUT',
      headers: put.headers,
      body: body.subarray(1),
    });
    expect(exact.status).toBe(200);
    expect(await subject.store.stat(key)).toEqual({ bytes: 999 });
  });

  it('refuses another Content-Type than signed', async () => {
    const key = originalKey(newMediaToken());
    const body = bodyOf(800);
    const put = await presign(key, body.length);
    const answer = await subject.send(put.url, {
      method: 'PUT',
      headers: { ...put.headers, 'Content-Type': 'image/jpeg' },
      body,
    });
    expect(answer.status).toBeGreaterThanOrEqual(400);
    expect(answer.status).toBeLessThan(500);
    expect(await subject.store.stat(key)).toBeUndefined();
  });

  it('refuses a PUT after the URL expired', async () => {
    const key = originalKey(newMediaToken());
    const body = bodyOf(600);
    const put = await presign(key, body.length, 1);
    expect(put.expiresAt.getTime()).toBeLessThanOrEqual(Date.now() + 1000);
    // The store's own clock decides; wait until it is past the stated expiry.
    await waitFor(() => Date.now() > put.expiresAt.getTime() + 5, {
      timeoutMs: 5_000,
      intervalMs: 50,
      what: 'the upload URL to expire',
    });
    const answer = await subject.send(put.url, { method: 'PUT', headers: put.headers, body });
    expect(answer.status).toBeGreaterThanOrEqual(400);
    expect(answer.status).toBeLessThan(500);
    expect(await subject.store.stat(key)).toBeUndefined();
  });

  it('puts, gets, lists and deletes objects; absent ones are no error', async () => {
    const token = newMediaToken();
    const display = variantKey(token, 'display');
    const preview = variantKey(token, 'preview');
    const original = originalKey(token);
    await subject.store.put(display, Buffer.from('display bytes'), 'image/webp');
    await subject.store.put(preview, Buffer.from('preview'), 'image/webp');
    await subject.store.put(original, Buffer.from('original'), IMAGE_TYPE);

    expect((await subject.store.get(display))?.toString()).toBe('display bytes');
    expect(await subject.store.stat(preview)).toEqual({ bytes: 7 });

    const listed = [];
    for await (const object of subject.store.list('media/')) {
      if (object.key.startsWith(`media/${token}/`)) listed.push(object);
    }
    expect(listed.map((o) => o.key).sort()).toEqual([display, preview].sort());
    expect(listed.find((o) => o.key === display)?.bytes).toBe(13);
    for (const object of listed) {
      expect(Math.abs(object.lastModified.getTime() - Date.now())).toBeLessThan(60_000);
    }
    const uploads = [];
    for await (const object of subject.store.list('uploads/')) uploads.push(object.key);
    expect(uploads).toContain(original);
    expect(uploads.every((key) => key.startsWith('uploads/'))).toBe(true);

    await subject.store.delete([display, original, variantKey(newMediaToken(), 'cover')]);
    expect(await subject.store.stat(display)).toBeUndefined();
    expect(await subject.store.get(original)).toBeUndefined();
    expect(await subject.store.stat(preview)).toEqual({ bytes: 7 });
    await subject.store.delete([preview]);
    expect(await subject.store.stat(preview)).toBeUndefined();
    await subject.store.delete([]);
  });

  it('signs a short-lived download of a private object under a file name', async () => {
    const key = `exports/${newMediaToken()}.zip`;
    await subject.store.put(key, Buffer.from('archive'), 'application/zip');
    const url = await subject.store.presignGet(key, { expiresInSeconds: 300, filename: 'plaza-export.zip' });
    const answer = await subject.send(url, { method: 'GET' });
    expect(answer.status).toBe(200);
    expect(answer.body.toString()).toBe('archive');
    expect(answer.headers.get('content-disposition')).toContain('plaza-export.zip');
  });
});

describe('the s3 store only', () => {
  let subject: Awaited<ReturnType<typeof s3Subject>>;
  beforeAll(async () => {
    subject = await s3Subject();
  });
  afterAll(async () => {
    await subject?.close();
  });

  it('writes variants as immutable, public by URL, with no ACL', async () => {
    const key = variantKey(newMediaToken(), 'display');
    await subject.store.put(key, Buffer.from('webp'), 'image/webp');
    const head = await subject.s3Store.client.send(
      new HeadObjectCommand({ Bucket: subject.s3.bucket, Key: key }),
    );
    expect(head.CacheControl).toBe('public, max-age=31536000, immutable');
    expect(head.ContentType).toBe('image/webp');
    expect(subject.store.publicUrl(key)).toBe(`${subject.s3.endpoint}/${subject.s3.bucket}/${key}`);
    // Originals get no cache header: they are never served.
    const original = originalKey(newMediaToken());
    await subject.store.put(original, Buffer.from('x'), IMAGE_TYPE);
    const originalHead = await subject.s3Store.client.send(
      new HeadObjectCommand({ Bucket: subject.s3.bucket, Key: original }),
    );
    expect(originalHead.CacheControl).toBeUndefined();
  });

  it('signs no checksum the uploading client would have to compute', async () => {
    const put = await subject.store.presignPut(originalKey(newMediaToken()), {
      contentType: IMAGE_TYPE,
      bytes: 10,
      expiresInSeconds: 60,
    });
    const query = new URL(put.url).searchParams;
    expect(query.get('X-Amz-SignedHeaders')?.split(';').sort()).toEqual([
      'content-length',
      'content-type',
      'host',
    ]);
    expect([...query.keys()].filter((name) => /checksum/i.test(name))).toEqual([]);
    expect(query.get('X-Amz-Expires')).toBe('60');
  });

  it("hands out URLs under S3_PUBLIC_ENDPOINT, for a proxy forwarding them with the store's Host", async () => {
    // What compose's nginx does for MinIO: /s3/… → S3_ENDPOINT, path and query untouched, Host rewritten.
    const target = new URL(subject.s3.endpoint);
    const proxy = http.createServer((request, response) => {
      const upstream = http.request(
        {
          host: target.hostname,
          port: target.port,
          method: request.method,
          path: (request.url ?? '/').replace(/^\/s3/, ''),
          headers: { ...request.headers, host: target.host },
        },
        (answer) => {
          response.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(response);
        },
      );
      request.pipe(upstream);
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    try {
      const publicEndpoint = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}/s3`;
      const store = subject.s3.store({ publicEndpoint });
      const key = originalKey(newMediaToken());
      const body = bodyOf(300);
      const put = await store.presignPut(key, {
        contentType: IMAGE_TYPE,
        bytes: body.length,
        expiresInSeconds: 60,
      });
      expect(put.url.startsWith(`${publicEndpoint}/${subject.s3.bucket}/${key}?`)).toBe(true);
      const refused = await subject.send(put.url, {
        method: 'PUT',
        headers: { ...put.headers, 'Content-Type': 'image/gif' },
        body,
      });
      expect(refused.status).toBe(403);
      expect((await subject.send(put.url, { method: 'PUT', headers: put.headers, body })).status).toBe(200);
      expect(await store.stat(key)).toEqual({ bytes: 300 });
      const download = await store.presignGet(key, { expiresInSeconds: 60 });
      expect(download.startsWith(publicEndpoint)).toBe(true);
      expect((await subject.send(download, { method: 'GET' })).body.equals(body)).toBe(true);
    } finally {
      proxy.closeAllConnections();
      await new Promise((resolve) => proxy.close(resolve));
    }
  });

  it('deletes more keys than one DeleteObjects request takes', async () => {
    const tokens = Array.from({ length: 1200 }, () => newMediaToken());
    const kept = [tokens[0]!, tokens[999]!, tokens[1000]!, tokens[1199]!].map(originalKey);
    for (const key of kept) await subject.store.put(key, Buffer.from('x'), IMAGE_TYPE);
    await subject.store.delete(tokens.map(originalKey));
    for (const key of kept) expect(await subject.store.stat(key), key).toBeUndefined();
  });
});

describe('the local store only', () => {
  let subject: Awaited<ReturnType<typeof localSubject>>;
  beforeAll(async () => {
    subject = await localSubject();
  });
  afterAll(async () => {
    await subject?.close();
  });

  it('refuses a body longer than the Content-Length it states (a client lying about its size)', async () => {
    const key = originalKey(newMediaToken());
    const body = bodyOf(700);
    const put = await subject.store.presignPut(key, {
      contentType: IMAGE_TYPE,
      bytes: 699,
      expiresInSeconds: 60,
    });
    const answer = await subject.send(put.url, { method: 'PUT', headers: put.headers, body });
    expect(answer.status).toBeGreaterThanOrEqual(400);
    expect(answer.status).toBeLessThan(500);
    expect(await subject.store.stat(key)).toBeUndefined();
  });

  it('refuses a URL whose signed fields were changed', async () => {
    const key = originalKey(newMediaToken());
    const put = await subject.store.presignPut(key, {
      contentType: IMAGE_TYPE,
      bytes: 10,
      expiresInSeconds: 60,
    });
    const url = new URL(put.url);
    url.searchParams.set('bytes', '11');
    const answer = await subject.send(url.href, {
      method: 'PUT',
      headers: { ...put.headers, 'Content-Length': '11' },
      body: bodyOf(11),
    });
    expect(answer.status).toBe(403);
    expect(await subject.store.stat(key)).toBeUndefined();
  });
});
