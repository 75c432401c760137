// Bodies over 64 KiB are refused over real HTTP whether they declare their length or come chunked.
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { bearer, createUser, type TestUser } from '../helpers/factories.ts';
import { type PlazaProcess, startServer, stopAll } from '../helpers/processes.ts';

let ctx: TestContext;
let server: PlazaProcess;
let user: TestUser;

beforeAll(async () => {
  ctx = await createTestContext();
  server = await startServer(ctx.env);
  user = await createUser(ctx.db);
});

afterAll(async () => {
  await stopAll([server]);
  await ctx.close();
});

/** POSTs `chunks` to /api/v1/posts, with Content-Length or chunked, and reads the status and error code. */
function post(chunks: string[], framing: 'length' | 'chunked'): Promise<{ status: number; code?: string }> {
  const body = chunks.join('');
  return new Promise((resolve, reject) => {
    const req = request(
      `${server.url}/api/v1/posts`,
      {
        method: 'POST',
        headers: {
          ...bearer(user),
          'content-type': 'application/json',
          ...(framing === 'length' ? { 'content-length': Buffer.byteLength(body) } : {}),
        },
      },
      (res) => {
        let text = '';
        res.on('data', (d) => {
          text += d;
        });
        res.on('end', () => {
          const code = (JSON.parse(text || '{}') as { error?: { code?: string } }).error?.code;
          resolve({ status: res.statusCode ?? 0, code });
        });
      },
    );
    req.on('error', reject);
    for (const chunk of chunks) req.write(chunk);
    req.end();
  });
}

const big = JSON.stringify({ body: 'x'.repeat(70_000) });
const small = JSON.stringify({ body: 'chunked but small' });
const halves = (text: string) => [text.slice(0, text.length / 2), text.slice(text.length / 2)];

describe('request body limit', () => {
  it('refuses a declared length over 64 KiB with 413 payload_too_large', async () => {
    expect(await post([big], 'length')).toEqual({ status: 413, code: 'payload_too_large' });
  });

  it('refuses a chunked body once it passes 64 KiB', async () => {
    expect(await post(halves(big), 'chunked')).toEqual({ status: 413, code: 'payload_too_large' });
  });

  it('accepts bodies under the limit either way', async () => {
    expect((await post(halves(small), 'chunked')).status).toBe(201);
    expect((await post([small], 'length')).status).toBe(201);
  });
});
