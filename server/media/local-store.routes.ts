// The local store's HTTP face: the signed upload endpoint (what a presigned S3 PUT is for the S3 store),
// the public variants under /media/, and signed downloads of private files (data exports).
import { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import type { Context } from 'hono';
import { Hono } from 'hono';
import type { AppEnv } from '../http/env.ts';
import { renderError } from '../http/errors.ts';
import { AppError } from '../lib/errors.ts';
import { LOCAL_DOWNLOAD_PATH, LOCAL_UPLOAD_PATH, type LocalStore } from './local-store.ts';
import { normaliseContentType } from './media.schema.ts';
import { PUBLIC_KEY } from './media.store.ts';

/** The request body as bytes: the Node request itself when served by node-server, else the web stream. */
function bodyOf(c: Context): AsyncIterable<Uint8Array> | undefined {
  const incoming = (c.env as { incoming?: unknown } | undefined)?.incoming;
  if (incoming instanceof IncomingMessage) return incoming;
  const body = c.req.raw.body;
  return body ? Readable.fromWeb(body as import('node:stream/web').ReadableStream<Uint8Array>) : undefined;
}

const keyAfter = (c: Context, prefix: string) =>
  decodeURIComponent(new URL(c.req.url).pathname.slice(prefix.length));

// Uploads are authorised by their signature alone (no cookie), like S3's: an SDK on another origin may PUT.
const UPLOAD_CORS = {
  'access-control-allow-origin': '*',
  'access-control-allow-methods': 'PUT',
  'access-control-allow-headers': 'content-type',
  'access-control-max-age': '600',
};

export function localStoreRoutes(store: LocalStore) {
  const app = new Hono<AppEnv>();

  app.options(`${LOCAL_UPLOAD_PATH}*`, (c) => c.body(null, 204, UPLOAD_CORS));

  app.put(`${LOCAL_UPLOAD_PATH}*`, async (c) => {
    for (const [name, value] of Object.entries(UPLOAD_CORS)) c.header(name, value);
    const grant = store.verifyPut(keyAfter(c, LOCAL_UPLOAD_PATH), new URL(c.req.url).searchParams);
    if ('refused' in grant) {
      return renderError(
        c,
        new AppError('forbidden', `Upload refused: ${grant.refused}; ask for a new upload URL`),
      );
    }
    const type = normaliseContentType(c.req.header('content-type') ?? '');
    if (type !== grant.contentType) {
      return renderError(
        c,
        new AppError(
          'forbidden',
          `Upload refused: the URL was signed for ${grant.contentType}, not ${type || 'no type'}`,
        ),
      );
    }
    const declared = c.req.header('content-length');
    if (declared === undefined || Number(declared) !== grant.bytes) {
      return renderError(
        c,
        new AppError(
          'validation_failed',
          `Upload refused: the URL was signed for exactly ${grant.bytes} bytes (Content-Length)`,
        ),
      );
    }
    const body = bodyOf(c);
    if (!body || !(await store.putStream(grant.key, body, grant.bytes))) {
      return renderError(
        c,
        new AppError('validation_failed', `Upload refused: the body is not exactly ${grant.bytes} bytes`),
      );
    }
    return c.body(null, 200);
  });

  const serve = async (c: Context, key: string, headers: Record<string, string>) => {
    const file = await store.open(key);
    if (!file) return renderError(c, new AppError('not_found', 'No such file'));
    const head = { 'content-length': String(file.bytes), 'x-content-type-options': 'nosniff', ...headers };
    if (c.req.method === 'HEAD') {
      (file.stream as Readable).destroy();
      return c.body(null, 200, head);
    }
    return c.body(Readable.toWeb(file.stream as Readable) as ReadableStream, 200, head);
  };

  app.on(['GET', 'HEAD'], '/media/*', async (c) => {
    const key = keyAfter(c, '/');
    // Variants only: originals (uploads/) and private files (exports/) are never served here.
    if (!PUBLIC_KEY.test(key)) return renderError(c, new AppError('not_found', 'No such file'));
    return serve(c, key, {
      'content-type': 'image/webp',
      'cache-control': 'public, max-age=31536000, immutable',
    });
  });

  app.on(['GET', 'HEAD'], `${LOCAL_DOWNLOAD_PATH}*`, async (c) => {
    const key = keyAfter(c, LOCAL_DOWNLOAD_PATH);
    const query = new URL(c.req.url).searchParams;
    if (!store.verifyGet(key, query)) {
      return renderError(
        c,
        new AppError('forbidden', 'This download link is not valid or has expired; ask for a new one'),
      );
    }
    const filename = (query.get('filename') ?? key.split('/').pop() ?? 'download').replace(
      /[^A-Za-z0-9._-]/g,
      '_',
    );
    return serve(c, key, {
      'content-type': filename.endsWith('.zip') ? 'application/zip' : 'application/octet-stream',
      'content-disposition': `attachment; filename="${filename}"`,
      'cache-control': 'private, no-store',
    });
  });

  return app;
}
