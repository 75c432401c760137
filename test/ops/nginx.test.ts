import { Agent } from 'node:http';
import type { AnyPush } from '@plaza/client';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Queues } from '../../server/jobs/queues.ts';
import { closeRedis, createRedis } from '../../server/lib/redis.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { bearer, createUser } from '../helpers/factories.ts';
import { commitFeedEvent } from '../helpers/fixtures.ts';
import { connectLive, type Recorder } from '../helpers/live.ts';
import { type PlazaProcess, startServer, startWorkers, stopAll } from '../helpers/processes.ts';
import { sleep, waitFor } from '../helpers/wait.ts';
import { findNginx, freePort, type Nginx, startNginx } from './nginx-process.ts';

const nginxBinary = findNginx();
if (!nginxBinary) {
  console.warn('test/ops/nginx: no nginx binary (apt-get install nginx; .ci/run installs it): skipped');
}

let ctx: TestContext;
let leader: PlazaProcess;
let other: PlazaProcess;
let nginx: Nginx;
const clients: Recorder[] = [];

const metricsOf = async (p: PlazaProcess) => (await fetch(`${p.url}/metrics`)).text();

/** The value of one series in a Prometheus text exposition (0 when absent). */
function sample(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

const isLeader = async (p: PlazaProcess) =>
  ((await (await fetch(`${p.url}/health`)).json()) as { relayLeader: boolean }).relayLeader;

/**
 * Connects through nginx from successive loopback source addresses until nginx's address hash puts the
 * client on `target` (read from the target's own socket gauge), so the push must cross instances.
 */
async function connectThroughNginxTo(
  target: PlazaProcess,
  transport: 'websocket' | 'polling',
  firstHost: number,
): Promise<{ client: Recorder; host: number }> {
  for (let host = firstHost; host < firstHost + 40; host++) {
    const localAddress = `127.0.0.${host}`;
    const before = sample(await metricsOf(target), 'plaza_socket_connections');
    // engine.io-client hands `localAddress` to ws and `agent` to its XMLHttpRequest (polling).
    const socketOptions = (
      transport === 'websocket'
        ? { localAddress }
        : { agent: new Agent({ localAddress, keepAlive: true }), upgrade: false }
    ) as Record<string, unknown>;
    const client = await connectLive({
      url: nginx.url,
      transports: [transport],
      topics: ['feed'],
      socketOptions,
    });
    if (sample(await metricsOf(target), 'plaza_socket_connections') > before) return { client, host };
    client.close();
  }
  throw new Error(`no source address hashed to ${target.name}`);
}

beforeAll(async () => {
  if (!nginxBinary) return;
  ctx = await createTestContext();
  leader = await startServer(ctx.env, 'ops-leader');
  await waitFor(() => isLeader(leader), { what: 'the first instance to lead the relay' });
  other = await startServer(ctx.env, 'ops-other');
  nginx = await startNginx(nginxBinary, [leader.port, other.port]);
});

afterAll(async () => {
  for (const client of clients) client.close();
  await nginx?.stop();
  await stopAll([leader, other]);
  await ctx?.close();
});

describe.skipIf(!nginxBinary)('nginx in front of two instances (deploy/nginx.conf)', () => {
  it('delivers a push relayed by one instance to a WebSocket client and a pinned polling client on the other', async () => {
    const ws = await connectThroughNginxTo(other, 'websocket', 2);
    const polling = await connectThroughNginxTo(other, 'polling', ws.host + 1);
    clients.push(ws.client, polling.client);
    expect(ws.client.live.socket.io.engine.transport.name).toBe('websocket');
    expect(polling.client.live.socket.io.engine.transport.name).toBe('polling');
    expect(sample(await metricsOf(other), 'plaza_socket_connections')).toBe(2);
    // Probes that landed on the leader were closed; their disconnects may still be on the way.
    await waitFor(async () => sample(await metricsOf(leader), 'plaza_socket_connections') === 0, {
      what: 'no socket left on the leader',
    });
    // The admin overview counts sockets on every instance, asked on the one that holds none.
    const admin = await createUser(ctx.db, { role: 'admin' });
    const stats = await fetch(`${leader.url}/api/v1/admin/stats`, { headers: bearer(admin) });
    expect(((await stats.json()) as { sockets: number }).sockets).toBe(2);

    // Several long-polling round trips: each must reach the instance holding the session, or it ends.
    await sleep(1_500);
    await commitFeedEvent(ctx.db, 'relayed through nginx');
    await ws.client.waitForCount(1);
    await polling.client.waitForCount(1);

    const { rows } = await sql<{ seq: number }>`
      select seq from event_log where data->'post'->>'body' = 'relayed through nginx'`.execute(ctx.db);
    for (const client of [ws.client, polling.client]) {
      expect(client.pushes).toHaveLength(1);
      const push = client.pushes[0] as AnyPush;
      expect(push).toMatchObject({ seq: rows[0]!.seq, topic: 'feed', type: 'post:created' });
      expect(client.live.socket.connected).toBe(true);
    }
    // Emitted by the leader only, received on the other instance: it crossed through the Redis adapter.
    expect(sample(await metricsOf(leader), 'plaza_pushes_emitted_total{type="post:created"}')).toBe(1);
    expect(sample(await metricsOf(other), 'plaza_pushes_emitted_total{type="post:created"}')).toBe(0);
  });

  it('passes the client X-Request-Id through to the server and back, and makes one when absent', async () => {
    const res = await fetch(`${nginx.url}/health`, { headers: { 'x-request-id': 'ops-request-42' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-request-id')).toBe('ops-request-42');
    // The access log line reaches us through the child's stdout a moment after the response.
    const seen = await waitFor(
      () => [...leader.logs, ...other.logs].find((l) => l.reqId === 'ops-request-42'),
      {
        what: 'the given id in a log',
      },
    );
    expect(seen).toMatchObject({ path: '/health', status: 200 });

    const made = await fetch(`${nginx.url}/health`);
    const id = made.headers.get('x-request-id');
    expect(id).toMatch(/^[0-9a-f]{32}$/);
    await waitFor(() => [...leader.logs, ...other.logs].some((l) => l.reqId === id), {
      what: 'the id in a log',
    });
  });

  it('refuses /metrics from outside while each instance serves its own', async () => {
    expect((await fetch(`${nginx.url}/metrics`)).status).toBe(403);
    expect((await fetch(`${leader.url}/metrics`)).status).toBe(200);
  });

  it('exposes HTTP, socket, relay, queue and process series on /metrics after traffic', async () => {
    await fetch(`${nginx.url}/api/v1/openapi.json`);
    const text = await metricsOf(leader);
    expect(text).toMatch(
      /plaza_http_request_duration_seconds_bucket\{le="[^"]+",method="GET",route="\/health",status="200"\}/,
    );
    expect(text).toMatch(/# TYPE plaza_socket_connections gauge/);
    expect(sample(text, 'plaza_relay_lag_seconds_count')).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'plaza_relay_batch_rows_count')).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'plaza_relay_batch_rows_sum')).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'plaza_relay_leader')).toBe(1);
    expect(text).toMatch(/plaza_queue_jobs\{queue="email",state="waiting"\} \d+/);
    expect(text).toMatch(/plaza_queue_jobs\{queue="email",state="failed"\} \d+/);
    expect(text).toContain('nodejs_eventloop_lag_seconds');
    expect(text).toContain('process_resident_memory_bytes');
    expect(sample(await metricsOf(other), 'plaza_relay_leader')).toBe(0);
  });

  it('has the workers expose job durations and failures on their own metrics port', async () => {
    const closedPort = await freePort();
    const workers = await startWorkers(
      { ...ctx.env, WORKERS_METRICS_PORT: '0', SMTP_URL: `smtp://127.0.0.1:${closedPort}` },
      ['email', 'maintenance'],
    );
    const redis = createRedis(ctx.redisUrl, 'commands', 'ops-test');
    const queues = new Queues(redis, ctx.redisPrefix);
    try {
      const line = await workers.waitForLog((l) => l.msg === 'metrics listening');
      const url = `http://127.0.0.1:${line.port}`;
      expect((await fetch(`${url}/health`)).status).toBe(200);
      await queues.add('maintenance', { task: 'prune-event-log' });
      // Nobody listens on the SMTP port: the one attempt fails, for good.
      await queues.add('email', { to: 'x@example.test', subject: 's', text: 't' }, { attempts: 1 });
      const text = await waitFor(
        async () => {
          const body = await (await fetch(`${url}/metrics`)).text();
          const done =
            sample(body, 'plaza_job_duration_seconds_count{queue="maintenance",outcome="completed"}') >= 1 &&
            sample(body, 'plaza_jobs_failed_total{queue="email",final="true"}') === 1;
          return done ? body : null;
        },
        { timeoutMs: 20_000, what: 'job metrics' },
      );
      expect(sample(text, 'plaza_job_duration_seconds_count{queue="email",outcome="failed"}')).toBe(1);
      expect(text).toContain('nodejs_eventloop_lag_seconds');
    } finally {
      await queues.close();
      await closeRedis(redis);
      await workers.stop();
    }
  });
});
