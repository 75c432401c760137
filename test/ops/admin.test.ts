import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type App, createApp } from '../../server/app.ts';
import { loadConfig } from '../../server/config.ts';
import { QUEUE_NAMES, Queues } from '../../server/jobs/queues.ts';
import { createLogger } from '../../server/lib/logger.ts';
import { closeRedis, createRedis } from '../../server/lib/redis.ts';
import { readRelayPosition } from '../../server/realtime/event-log.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { bearer, createUser, type TestUser } from '../helpers/factories.ts';

let ctx: TestContext;
let app: App;
let redis: ReturnType<typeof createRedis>;
let queues: Queues;
let admin: TestUser;
let member: TestUser;

beforeAll(async () => {
  ctx = await createTestContext();
  redis = createRedis(ctx.redisUrl, 'commands', 'test');
  queues = new Queues(redis, ctx.redisPrefix);
  app = createApp({
    config: loadConfig(ctx.env),
    db: ctx.db,
    redis,
    queues,
    logger: createLogger('silent', 'test'),
    currentSeq: async () => (await readRelayPosition(ctx.db)).emittedSeq,
    isDraining: () => false,
    isRelayLeader: () => false,
    connectedSockets: async () => 7,
  });
  admin = await createUser(ctx.db, { role: 'admin' });
  member = await createUser(ctx.db);
});

afterAll(async () => {
  await queues.close();
  await closeRedis(redis);
  await ctx.close();
});

describe('GET /api/v1/admin/stats', () => {
  it('answers an admin with counts from the database, sockets and every queue depth', async () => {
    // Two delayed emails and one waiting: the depths must show exactly these.
    await queues.add('email', { to: 'a@example.test', subject: 's', text: 't' }, { delay: 60_000 });
    await queues.add('email', { to: 'b@example.test', subject: 's', text: 't' }, { delay: 60_000 });
    await queues.add('email', { to: 'c@example.test', subject: 's', text: 't' });
    const res = await app.request('/api/v1/admin/stats', { headers: bearer(admin) });
    expect(res.status).toBe(200);
    const stats = (await res.json()) as {
      users: number;
      posts: number;
      events: number;
      sockets: number;
      queues: Record<string, Record<string, number>>;
    };
    const users = await ctx.db
      .selectFrom('users')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirst();
    expect(stats.users).toBe(Number(users?.n));
    expect(stats.users).toBeGreaterThanOrEqual(2);
    expect(stats.posts).toBeGreaterThanOrEqual(0);
    expect(stats.events).toBeGreaterThanOrEqual(0);
    expect(stats.sockets).toBe(7);
    expect(Object.keys(stats.queues).sort()).toEqual([...QUEUE_NAMES].sort());
    expect(stats.queues.email).toEqual({ waiting: 1, active: 0, delayed: 2, failed: 0 });
  });

  it('refuses a member with 403 and an anonymous caller with 401', async () => {
    const asMember = await app.request('/api/v1/admin/stats', { headers: bearer(member) });
    expect(asMember.status).toBe(403);
    expect(((await asMember.json()) as { error: { code: string } }).error.code).toBe('forbidden');
    const anonymous = await app.request('/api/v1/admin/stats');
    expect(anonymous.status).toBe(401);
  });
});

describe('Bull Board at /admin/queues', () => {
  it('shows the dashboard, its API and its assets to admins only', async () => {
    for (const path of ['/admin/queues', '/admin/queues/api/queues']) {
      expect((await app.request(path)).status, path).toBe(401);
      expect((await app.request(path, { headers: bearer(member) })).status, path).toBe(403);
    }
    const page = await app.request('/admin/queues', { headers: bearer(admin) });
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('<base href="/admin/queues/"');
    const api = await app.request('/admin/queues/api/queues', { headers: bearer(admin) });
    expect(api.status).toBe(200);
    const names = ((await api.json()) as { queues: Array<{ name: string }> }).queues.map((q) => q.name);
    expect(names.sort()).toEqual([...QUEUE_NAMES].sort());
    const script = /src="(static\/js\/main[^"]+\.js)"/.exec(html)?.[1];
    expect(script).toBeDefined();
    const asset = `/admin/queues/${script}`;
    expect((await app.request(asset)).status).toBe(401);
    const served = await app.request(asset, { headers: bearer(admin) });
    expect(served.status).toBe(200);
    expect((await served.text()).length).toBeGreaterThan(1000);
  });
});

describe('GET /metrics (in-process)', () => {
  it('labels HTTP durations by route pattern and status, never by raw path', async () => {
    const id = '01890000-0000-7000-8000-000000000000';
    await app.request(`/api/v1/admin/users/${id}-x/role`, { method: 'PUT', headers: bearer(member) });
    await app.request('/api/v1/no-such-route-abc');
    const text = await (await app.request('/metrics')).text();
    expect(text).toMatch(
      /plaza_http_request_duration_seconds_count\{method="GET",route="\/api\/v1\/admin\/stats",status="200"\} \d+/,
    );
    expect(text).toMatch(/route="\/api\/v1\/admin\/users\/:username\/role",status="4\d\d"/);
    expect(text).toMatch(/route="unmatched",status="404"/);
    expect(text).not.toContain(id);
    expect(text).not.toContain('no-such-route-abc');
    expect(text).toMatch(/plaza_queue_jobs\{queue="email",state="delayed"\} 2/);
    expect(text).toContain('nodejs_eventloop_lag_seconds');
    expect(text).toContain('process_cpu_user_seconds_total');
  });
});
