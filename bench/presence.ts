// Presence. `presence`: join/leave churn on post topics across two instances (each socket subscribes to a
// post, unsubscribes, moves to the next, one command in flight), then every socket settles on one post and
// the counts must be exact on both instances; baseline: two bare Socket.IO processes doing the same Redis
// bookkeeping per command (bench/baselines/presence.server.ts). `presence-fanout`: the fan-out scenario
// (bench/fanout.ts) with presence on against the same with PRESENCE=false.
import type { Socket } from 'socket.io-client';
import { type Arm as FanoutArm, growTo, measure as measureFanout } from './fanout.ts';
import { CpuMeter } from './harness/cpu.ts';
import { DeliveryTracker } from './harness/deliveries.ts';
import { createUsers } from './harness/fixtures.ts';
import { postJson } from './harness/http.ts';
import { type BenchDatabase, createBenchDatabase, dropBenchDatabase } from './harness/infra.ts';
import { size } from './harness/options.ts';
import { type BenchProcess, startBaseline, startPlazaServer } from './harness/processes.ts';
import { type ArmRound, medianExtra, progress, type ScenarioResult, summarize } from './harness/report.ts';
import { alternate, type Scenario, type ScenarioContext, sleep } from './harness/scenario.ts';
import { closeAll, connectMany } from './harness/sockets.ts';
import { Histogram } from './harness/stats.ts';

const CHURN_TARGET = 'ops/s ≥ 0.8, counts exact';
const FANOUT_TARGET = 'deliveries/s ≥ 0.95 of presence off';
/** How long the counts may take to be exact on both instances after the churn stops. */
const EXACT_WITHIN_MS = 3_000;
/**
 * Each socket sends at most one command per PACE_MS: under the app's per-socket budget (20 a second,
 * server/realtime/command-budget.ts), so the load comes from many sockets, as it would in production.
 */
const PACE_MS = 60;

type Reply<T> = { ok: true; data: T } | { ok: false; error: unknown };

async function command<T>(socket: Socket, name: string, input: unknown): Promise<T> {
  const reply = (await socket.timeout(30_000).emitWithAck(name, input)) as Reply<T>;
  if (!reply.ok) throw new Error(`${name} refused: ${JSON.stringify(reply.error)}`);
  return reply.data;
}

interface ChurnArm {
  servers: BenchProcess[];
  sockets: Socket[];
  database?: string;
}

async function churn(arm: ChurnArm, topics: string[], durationMs: number): Promise<ArmRound> {
  const { sockets } = arm;
  const latency = new Histogram();
  const cpu = new CpuMeter(() => arm.servers.map((s) => s.pid), arm.database);
  let operations = 0;
  let failures = 0;
  cpu.start();
  const started = Date.now();
  const deadline = started + durationMs;
  await Promise.all(
    sockets.map(async (socket, i) => {
      for (let k = 0; Date.now() < deadline; k++) {
        const topic = topics[(i + k) % topics.length]!;
        for (const name of ['subscribe', 'unsubscribe']) {
          const sent = performance.now();
          try {
            await command(socket, name, { topics: [topic] });
            operations++;
            latency.add(performance.now() - sent);
          } catch {
            failures++;
          }
          await sleep(Math.max(0, sent + PACE_MS - performance.now()));
        }
      }
    }),
  );
  const seconds = (Date.now() - started) / 1_000;
  const used = cpu.stop();

  // Settle: socket i on topic i mod T; both instances must count exactly that (even sockets are on the
  // first server, odd ones on the second: connectMany goes round robin). Topic t is asked by sockets 2t and
  // 2t + 1, one command each per look.
  await Promise.all(sockets.map((s, i) => command(s, 'subscribe', { topics: [topics[i % topics.length]!] })));
  const settled = Date.now();
  const expected = (t: number) => sockets.filter((_, i) => i % topics.length === t).length;
  let exact = false;
  while (!exact && Date.now() - settled < EXACT_WITHIN_MS) {
    const answers = await Promise.all(
      topics.flatMap((topic, t) =>
        [sockets[2 * t]!, sockets[2 * t + 1]!].map((s) =>
          command<{ clients: number; users: number }>(s, 'presence', { topic }),
        ),
      ),
    );
    exact = answers.every((a, j) => a.clients === expected(j >> 1) && a.users === expected(j >> 1));
    if (!exact) await sleep(100);
  }
  const exactAfterMs = Date.now() - settled;
  await Promise.all(
    sockets.map((s, i) => command(s, 'unsubscribe', { topics: [topics[i % topics.length]!] })),
  );
  if (!exact) throw new Error(`presence counts not exact ${EXACT_WITHIN_MS} ms after the churn`);
  return {
    value: operations / seconds,
    p50Ms: latency.percentile(50),
    p99Ms: latency.percentile(99),
    cpuPerOp: operations > 0 ? used.server / operations : null,
    ...(used.database !== null ? { dbCpuPerOp: operations > 0 ? used.database / operations : null } : {}),
    extra: { failures, exactAfterMs },
  };
}

async function postIds(database: BenchDatabase, authorId: string, count: number): Promise<string[]> {
  const rows = await database.db
    .insertInto('posts')
    .values(
      Array.from({ length: count }, (_, i) => ({
        id: crypto.randomUUID(),
        author_id: authorId,
        body: `Watched post ${i}`,
      })),
    )
    .returning('id')
    .execute();
  return rows.map((row) => row.id);
}

async function runChurn({ options, run }: ScenarioContext): Promise<ScenarioResult[]> {
  const socketCount = size(options, 600, 20);
  const topicCount = size(options, 10, 4);
  const durationMs = size(options, 5_000, 1_000);
  const database = await createBenchDatabase(run, 'presence');
  const processes: BenchProcess[] = [];
  const arms: ChurnArm[] = [];
  try {
    progress('presence: users, posts and processes');
    const users = await createUsers(database.db, socketCount);
    const posts = await postIds(database, users[0]!.id, topicCount);
    const baseEnv = {
      REDIS_URL: run.redisUrl,
      BENCH_ADAPTER_KEY: `${database.redisPrefix}:baseline`,
      BENCH_PRESENCE_PREFIX: `${database.redisPrefix}:baseline`,
    };
    const started = await Promise.all([
      startPlazaServer(database.env, 'app-server-a'),
      startPlazaServer(database.env, 'app-server-b'),
      startBaseline('base-presence-a', 'bench/baselines/presence.server.ts', baseEnv),
      startBaseline('base-presence-b', 'bench/baselines/presence.server.ts', baseEnv),
    ]);
    processes.push(...started);
    const connect = (servers: BenchProcess[], token: (i: number) => string) =>
      connectMany(
        servers.map((s) => s.url),
        socketCount,
        { topics: ['events'], token, concurrency: 50 },
      );
    const app: ChurnArm = {
      servers: started.slice(0, 2),
      sockets: await connect(started.slice(0, 2), (i) => users[i]!.token),
      database: database.name,
    };
    arms.push(app);
    const baseline: ChurnArm = {
      servers: started.slice(2),
      sockets: await connect(started.slice(2), (i) => `user${i}`),
    };
    arms.push(baseline);
    const topics = posts.map((id) => `post:${id}`);
    await sleep(size(options, 500, 50));
    const rounds = await alternate(
      `presence ${socketCount} sockets × ${topicCount} posts`,
      options.rounds,
      () => churn(app, topics, durationMs),
      () => churn(baseline, topics, durationMs),
    );
    return [
      summarize(`presence ${socketCount}x${topicCount}`, 'ops/s', CHURN_TARGET, rounds, {
        sockets: socketCount,
        topics: topicCount,
        appExactAfterMs: medianExtra(rounds.app, 'exactAfterMs'),
        baseExactAfterMs: medianExtra(rounds.baseline, 'exactAfterMs'),
      }),
    ];
  } finally {
    for (const arm of arms) await closeAll(arm.sockets);
    await Promise.all(processes.map((p) => p.stop()));
    await dropBenchDatabase(run, database);
  }
}

async function runFanout({ options, run }: ScenarioContext): Promise<ScenarioResult[]> {
  const sizes = size(options, [{ sockets: 1_000, rate: 20 }], [{ sockets: 20, rate: 10 }]);
  const durationMs = size(options, 5_000, 1_000);
  // Each arm its own database and Redis prefix: sharing them, the two arms had one relay leader and one
  // adapter channel, so every post reached both arms' sockets (twice the deliveries the client counted).
  const databases = [
    await createBenchDatabase(run, 'presence_fanout_on'),
    await createBenchDatabase(run, 'presence_fanout_off'),
  ];
  const processes: BenchProcess[] = [];
  const arms: FanoutArm[] = [];
  try {
    progress('presence-fanout: users and processes');
    const armOf = async (database: BenchDatabase, presence: boolean): Promise<FanoutArm> => {
      const [author, ...viewers] = await createUsers(database.db, size(options, 41, 3));
      const env = presence ? database.env : { ...database.env, PRESENCE: 'false' };
      const name = presence ? 'app-presence' : 'app-no-presence';
      const servers = await Promise.all([
        startPlazaServer(env, `${name}-a`),
        startPlazaServer(env, `${name}-b`),
      ]);
      processes.push(...servers);
      const auth = { authorization: `Bearer ${author!.token}` };
      return {
        urls: servers.map((s) => s.url),
        servers,
        sockets: [],
        tracker: new DeliveryTracker(),
        database: database.name,
        token: (i) => viewers[i % viewers.length]!.token,
        send: async (i, body) => {
          const res = await postJson(`${servers[i % 2]!.url}/api/v1/posts`, { body }, auth);
          void res.arrayBuffer();
          return res.status === 201 || `HTTP ${res.status}`;
        },
        receives: () => true,
        leaked: 0,
      };
    };
    const on = await armOf(databases[0]!, true);
    const off = await armOf(databases[1]!, false);
    arms.push(on, off);
    const results: ScenarioResult[] = [];
    for (const { sockets, rate } of sizes) {
      progress(`presence-fanout ${sockets}@${rate}: connecting sockets`);
      // Both arms' sockets are in `feed` all along: the one with presence keeps counting them (heartbeats).
      await growTo(on, sockets);
      await growTo(off, sockets);
      await sleep(size(options, 500, 50));
      const rounds = await alternate(
        `presence-fanout ${sockets}@${rate}/s`,
        options.rounds,
        () => measureFanout(on, sockets, rate, durationMs),
        () => measureFanout(off, sockets, rate, durationMs),
      );
      results.push(
        summarize(`presence-fanout ${sockets}@${rate}`, 'deliveries/s', FANOUT_TARGET, rounds, {
          sockets,
          rate,
          appPostP99Ms: medianExtra(rounds.app, 'postP99Ms'),
        }),
      );
    }
    return results;
  } finally {
    for (const arm of arms) await closeAll(arm.sockets);
    await Promise.all(processes.map((p) => p.stop()));
    for (const database of databases) await dropBenchDatabase(run, database);
  }
}

export const presence: Scenario = { name: 'presence', run: runChurn };
export const presenceFanout: Scenario = { name: 'presence-fanout', run: runFanout };
