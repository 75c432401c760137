// Baseline of `POST /media`: bare Hono on @hono/node-server inserting the same media row (one INSERT, a pg
// pool of 10 like the app) and signing an upload URL the way the local store does (one HMAC), for one
// owner (BENCH_OWNER_ID). No session check, no rate limit, no validation: the floor under the real route.
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import pg from 'pg';

const db = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 10 });
const owner = process.env.BENCH_OWNER_ID ?? '';
const signingKey = randomBytes(32);

const app = new Hono();
app.post('/media', async (c) => {
  const body = await c.req.json<{ contentType: string; bytes: number }>();
  const id = randomUUID();
  const key = randomBytes(17).toString('hex').slice(0, 26);
  const { rows } = await db.query<{ created_at: Date }>(
    `insert into media (id, owner_id, content_type, bytes, key, description)
     values ($1, $2, $3, $4, $5, '') returning created_at`,
    [id, owner, body.contentType, body.bytes, key],
  );
  const expires = Math.floor(Date.now() / 1000) + 600;
  const sig = createHmac('sha256', signingKey)
    .update(['PUT', `uploads/${key}`, body.contentType, String(body.bytes), String(expires)].join('\n'))
    .digest('base64url');
  const url = new URL(`/media-upload/uploads/${key}`, 'http://127.0.0.1:3000');
  url.searchParams.set('type', body.contentType);
  url.searchParams.set('bytes', String(body.bytes));
  url.searchParams.set('expires', String(expires));
  url.searchParams.set('sig', sig);
  return c.json(
    {
      media: {
        id,
        status: 'pending_upload',
        contentType: body.contentType,
        bytes: body.bytes,
        width: null,
        height: null,
        url: null,
        previewUrl: null,
        blurhash: null,
        description: '',
        failureReason: null,
        createdAt: rows[0]!.created_at.toISOString(),
      },
      upload: {
        method: 'PUT',
        url: url.href,
        headers: { 'Content-Type': body.contentType, 'Content-Length': String(body.bytes) },
        expiresAt: new Date(expires * 1000).toISOString(),
      },
    },
    201,
  );
});

const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => {
  const { port } = server.address() as AddressInfo;
  process.stdout.write(`${JSON.stringify({ msg: 'listening', port, pid: process.pid })}\n`);
});

process.on('SIGTERM', () => {
  server.close();
  void db.end();
  setTimeout(() => process.exit(0), 200);
});
