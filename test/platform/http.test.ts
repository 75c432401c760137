import { createRoute, z } from '@hono/zod-openapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type App, createApp } from '../../server/app.ts';
import { loadConfig } from '../../server/config.ts';
import { createApiRouter } from '../../server/http/api.ts';
import type { AppEnv } from '../../server/http/env.ts';
import { Queues } from '../../server/jobs/queues.ts';
import { createLogger } from '../../server/lib/logger.ts';
import { closeRedis, createRedis } from '../../server/lib/redis.ts';
import { readRelayPosition } from '../../server/realtime/event-log.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';

let ctx: TestContext;
let app: App;
let redis: ReturnType<typeof createRedis>;
const logged: Array<Record<string, unknown>> = [];

beforeAll(async () => {
  ctx = await createTestContext();
  const config = loadConfig(ctx.env);
  const logger = createLogger('silent', 'test');
  // Capture error logs to prove that internals are logged but not sent.
  logger.error = ((obj: Record<string, unknown>) => {
    logged.push(obj);
  }) as typeof logger.error;
  redis = createRedis(ctx.redisUrl, 'commands', 'test');
  app = createApp({
    config,
    db: ctx.db,
    redis,
    queues: new Queues(redis, ctx.redisPrefix),
    logger,
    currentSeq: async () => (await readRelayPosition(ctx.db)).emittedSeq,
    isDraining: () => false,
    isRelayLeader: () => false,
  });
  // A route with a JSON body and a route that fails, mounted the way features mount theirs.
  const router = createApiRouter<AppEnv>();
  router.openapi(
    createRoute({
      method: 'post',
      path: '/echo',
      request: {
        body: { content: { 'application/json': { schema: z.object({ name: z.string().min(1).max(10) }) } } },
      },
      responses: { 200: { description: 'echo' } },
    }),
    (c) => c.json({ name: c.req.valid('json').name }, 200),
  );
  router.get('/boom', () => {
    throw new Error('secret internals: relation "users" does not exist');
  });
  app.route('/test', router);
});

afterAll(async () => {
  await closeRedis(redis);
  await ctx.close();
});

const post = (path: string, body: string, headers: Record<string, string> = {}) =>
  app.request(path, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } });

describe('HTTP failures in the contract shape', () => {
  it('answers an unknown route with a JSON 404', async () => {
    const res = await app.request('/api/v1/no-such-thing');
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: { code: 'not_found', message: expect.any(String) } });
  });

  it('answers malformed JSON with 400 invalid_json', async () => {
    const res = await post('/test/echo', '{"name": ');
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('invalid_json');
  });

  it('answers a schema violation with 400 validation_failed and the field', async () => {
    const res = await post('/test/echo', JSON.stringify({ name: '' }));
    expect(res.status).toBe(400);
    const body = (await res.json()) as {
      error: { code: string; details: { issues: Array<{ path: string }> } };
    };
    expect(body.error.code).toBe('validation_failed');
    expect(body.error.details.issues[0]?.path).toBe('name');
    expect((await post('/test/echo', JSON.stringify({ name: 'ok' }))).status).toBe(200);
  });

  it('answers bodies over 64 KiB with 413 payload_too_large', async () => {
    const res = await post('/test/echo', JSON.stringify({ name: 'x'.repeat(70_000) }));
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('payload_too_large');
  });

  it('answers an uncaught error with 500 internal, logs the stack and sends nothing of it', async () => {
    const res = await app.request('/test/boom');
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(JSON.parse(text)).toEqual({ error: { code: 'internal', message: expect.any(String) } });
    expect(text).not.toContain('secret');
    expect(text).not.toContain('users');
    const entry = logged.find((l) => l.path === '/test/boom');
    expect(entry).toBeDefined();
    expect((entry!.err as Error).stack).toContain('secret internals');
  });

  it('takes the request id from X-Request-Id, or makes one, and returns it', async () => {
    const given = await app.request('/health', { headers: { 'X-Request-Id': 'req-42' } });
    expect(given.headers.get('X-Request-Id')).toBe('req-42');
    const made = await app.request('/health');
    expect(made.headers.get('X-Request-Id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('puts the relayed seq on every API GET', async () => {
    await ctx.db.updateTable('relay_state').set({ assigned_seq: 7, emitted_seq: 7 }).execute();
    const res = await app.request('/api/v1/no-such-thing');
    expect(res.headers.get('X-Plaza-Seq')).toBe('7');
  });

  it('is ready when PostgreSQL and Redis answer', async () => {
    const res = await app.request('/ready');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ready' });
  });
});
