import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { type PlazaProcess, startServer, stopAll } from '../helpers/processes.ts';
import { startBalancer } from '../helpers/tcp-balancer.ts';

let ctx: TestContext;
const servers: PlazaProcess[] = [];

beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(async () => {
  await stopAll(servers);
  await ctx.close();
});

/** A TCP proxy to the real service: the server starts through it, then it goes away (a lost dependency). */
async function throughProxy(serviceUrl: string): Promise<{ url: string; lose: () => Promise<void> }> {
  const url = new URL(serviceUrl);
  const proxy = await startBalancer([Number(url.port || 6379)]);
  url.port = new URL(proxy.url).port;
  return { url: url.toString(), lose: proxy.close };
}

// A dependency missing at start-up stops the process with one plain line (test/platform/first-run.test.ts);
// one lost afterwards is what /ready reports.
describe('readiness', () => {
  it('is 503 naming Redis when Redis is lost, while /health stays 200', async () => {
    const redis = await throughProxy(ctx.env.REDIS_URL!);
    const server = await startServer({ ...ctx.env, REDIS_URL: redis.url });
    servers.push(server);
    expect((await fetch(`${server.url}/ready`)).status).toBe(200);
    await redis.lose();
    const ready = await fetch(`${server.url}/ready`);
    expect(ready.status).toBe(503);
    const body = (await ready.json()) as { error: { code: string; message: string; details: object } };
    expect(body.error.code).toBe('unavailable');
    expect(body.error.message).toContain('Redis');
    expect(body.error.message).not.toContain('PostgreSQL');
    expect(body.error.details).toEqual({ postgres: 'up', redis: 'down' });
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
  });

  it('is 503 naming PostgreSQL when PostgreSQL is lost, within 5 s', async () => {
    const postgres = await throughProxy(ctx.databaseUrl);
    const server = await startServer({ ...ctx.env, DATABASE_URL: postgres.url });
    servers.push(server);
    expect((await fetch(`${server.url}/ready`)).status).toBe(200);
    await postgres.lose();
    const started = Date.now();
    const ready = await fetch(`${server.url}/ready`);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(ready.status).toBe(503);
    const body = (await ready.json()) as { error: { message: string; details: object } };
    expect(body.error.message).toContain('PostgreSQL');
    expect(body.error.details).toEqual({ postgres: 'down', redis: 'up' });
  });
});
