import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { type PlazaProcess, startServer, stopAll } from '../helpers/processes.ts';

/** A port on loopback where nothing listens. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

let ctx: TestContext;
const servers: PlazaProcess[] = [];

beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(async () => {
  await stopAll(servers);
  await ctx.close();
});

describe('readiness', () => {
  it('is 503 naming Redis when REDIS_URL points at a closed port, while /health stays 200', async () => {
    const server = await startServer({ ...ctx.env, REDIS_URL: `redis://127.0.0.1:${await closedPort()}` });
    servers.push(server);
    const ready = await fetch(`${server.url}/ready`);
    expect(ready.status).toBe(503);
    const body = (await ready.json()) as { error: { code: string; message: string; details: object } };
    expect(body.error.code).toBe('unavailable');
    expect(body.error.message).toContain('Redis');
    expect(body.error.message).not.toContain('PostgreSQL');
    expect(body.error.details).toEqual({ postgres: 'up', redis: 'down' });
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
  });

  it('is 503 naming PostgreSQL when DATABASE_URL points at a closed port', async () => {
    const url = new URL(ctx.databaseUrl);
    url.port = String(await closedPort());
    const server = await startServer({ ...ctx.env, DATABASE_URL: url.toString() });
    servers.push(server);
    const started = Date.now();
    const ready = await fetch(`${server.url}/ready`);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(ready.status).toBe(503);
    const body = (await ready.json()) as { error: { message: string; details: object } };
    expect(body.error.message).toContain('PostgreSQL');
    expect(body.error.details).toEqual({ postgres: 'down', redis: 'up' });
  });
});
