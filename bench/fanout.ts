// Fan-out: posts created through the real path (REST → insert + event log → relay → adapter), delivered
// to N subscribed sockets across two instances; baseline: two bare Socket.IO processes doing io.to().emit().
// `fanout-muted`: the same with 10 % of the sockets' users muting the sender (their sockets sit in
// `hide:<sender>`, the relay emits `except` it); its baseline emits `to('feed').except(...)` to the same split.
import type { Socket } from 'socket.io-client';
import { CpuMeter } from './harness/cpu.ts';
import { DeliveryTracker } from './harness/deliveries.ts';
import { createUsers } from './harness/fixtures.ts';
import { paced, postJson } from './harness/http.ts';
import { createBenchDatabase, dropBenchDatabase } from './harness/infra.ts';
import { size } from './harness/options.ts';
import { type BenchProcess, startBaseline, startPlazaServer } from './harness/processes.ts';
import { type ArmRound, medianExtra, progress, type ScenarioResult, summarize } from './harness/report.ts';
import { alternate, type Scenario, type ScenarioContext, sleep } from './harness/scenario.ts';
import { closeAll, connectMany } from './harness/sockets.ts';

const TARGET = "deliveries/s ≥ 0.95, p99 ≤ 250 ms and ≤ 2× the baseline's, lost 0";
const MUTED_TARGET = 'deliveries/s ≥ 0.85, nothing leaked';
/** Post bodies of this length: the push is ~0.6 KB, like a short real post. */
const BODY_LENGTH = 200;
const DRAIN_MS = 5_000;

export interface Arm {
  urls: string[];
  servers: BenchProcess[];
  sockets: Socket[];
  tracker: DeliveryTracker;
  database?: string;
  token: (i: number) => string | undefined;
  send: (i: number, body: string) => Promise<boolean | string>;
  /** False for a socket whose user mutes the sender: it must get nothing (counted in `leaked`). */
  receives: (i: number) => boolean;
  leaked: number;
}

export async function growTo(arm: Arm, count: number): Promise<void> {
  if (arm.sockets.length >= count) return;
  const from = arm.sockets.length;
  const more = await connectMany(arm.urls, count - from, {
    topics: ['feed'],
    token: (i) => arm.token(from + i),
    concurrency: 50,
  });
  for (const [i, socket] of more.entries()) {
    if (arm.receives(from + i)) arm.tracker.attach(socket, from + i);
    else
      socket.on('post:created', () => {
        arm.leaked++;
      });
  }
  arm.sockets.push(...more);
}

export async function measure(
  arm: Arm,
  sockets: number,
  rate: number,
  durationMs: number,
): Promise<ArmRound> {
  const maxMessages = Math.ceil((rate * durationMs) / 1000) + 10;
  arm.tracker.begin(sockets, maxMessages);
  const cpu = new CpuMeter(() => arm.servers.map((s) => s.pid), arm.database);
  cpu.start();
  const leakedBefore = arm.leaked;
  const sent = await paced(rate, durationMs, (i) => arm.send(i, arm.tracker.body(i, BODY_LENGTH)));
  let receiving = 0;
  for (let i = 0; i < sockets; i++) if (arm.receives(i)) receiving++;
  const expected = sent.ok * receiving;
  const deadline = Date.now() + DRAIN_MS;
  while (arm.tracker.unique < expected && Date.now() < deadline) await sleep(20);
  const used = cpu.stop();
  const { tracker } = arm;
  const seconds = Math.max(1, (tracker.lastAt || Date.now()) - sent.startedAt) / 1000;
  return {
    value: tracker.unique / seconds,
    p50Ms: tracker.latency.percentile(50),
    p99Ms: tracker.latency.percentile(99),
    lost: Math.max(0, expected - tracker.unique),
    duplicated: tracker.duplicated,
    cpuPerOp: tracker.unique > 0 ? used.server / tracker.unique : null,
    ...(used.database !== null
      ? { dbCpuPerOp: tracker.unique > 0 ? used.database / tracker.unique : null }
      : {}),
    extra: {
      posts: sent.ok,
      failed: sent.sent - sent.ok,
      postP50Ms: sent.latency.percentile(50),
      postP99Ms: sent.latency.percentile(99),
      receiving,
      leaked: arm.leaked - leakedBefore,
      ...(sent.failures[0] ? { error: sent.failures[0] } : {}),
    },
  };
}

/** One viewer in ten mutes the sender; sockets go to viewers round robin, so one socket in ten does. */
const MUTED_SHARE = 0.1;

async function run(ctx: ScenarioContext, muted = false): Promise<ScenarioResult[]> {
  const { options, run } = ctx;
  const name = muted ? 'fanout-muted' : 'fanout';
  const sizes = size(
    options,
    muted
      ? [
          { sockets: 1_000, rate: 20 },
          { sockets: 2_000, rate: 20 },
        ]
      : [
          { sockets: 1_000, rate: 20 },
          { sockets: 1_000, rate: 50 },
          { sockets: 2_000, rate: 20 },
        ],
    [{ sockets: 20, rate: 10 }],
  );
  const durationMs = size(options, 5_000, 1_000);
  const database = await createBenchDatabase(run, name.replace('-', '_'));
  const processes: BenchProcess[] = [];
  const arms: Arm[] = [];
  try {
    progress('fanout: users and processes');
    const [author, ...viewers] = await createUsers(database.db, size(options, 41, muted ? 11 : 3));
    // The first tenth of the viewers mute the author before any socket connects.
    const muters = muted ? Math.round(viewers.length * MUTED_SHARE) : 0;
    if (muters > 0) {
      await database.db
        .insertInto('mutes')
        .values(viewers.slice(0, muters).map((v) => ({ muter_id: v.id, muted_id: author!.id })))
        .execute();
    }
    const receives = (i: number) => i % viewers.length >= muters;
    const baseEnv = { REDIS_URL: run.redisUrl, BENCH_ADAPTER_KEY: `${database.redisPrefix}:baseline` };
    const started = await Promise.all([
      startPlazaServer(database.env, 'app-server-a'),
      startPlazaServer(database.env, 'app-server-b'),
      startBaseline('base-fanout-a', 'bench/baselines/socketio.server.ts', baseEnv),
      startBaseline('base-fanout-b', 'bench/baselines/socketio.server.ts', baseEnv),
    ]);
    processes.push(...started);
    const appServers = started.slice(0, 2);
    const baseServers = started.slice(2);
    const auth = { authorization: `Bearer ${author!.token}` };
    const status = (res: Response) => {
      void res.arrayBuffer();
      return res.status === 201 || `HTTP ${res.status}`;
    };
    const app: Arm = {
      urls: appServers.map((s) => s.url),
      servers: appServers,
      sockets: [],
      tracker: new DeliveryTracker(),
      database: database.name,
      token: (i) => viewers[i % viewers.length]!.token,
      send: async (i, body) =>
        status(await postJson(`${appServers[i % 2]!.url}/api/v1/posts`, { body }, auth)),
      receives,
      leaked: 0,
    };
    const baseline: Arm = {
      urls: baseServers.map((s) => s.url),
      servers: baseServers,
      sockets: [],
      tracker: new DeliveryTracker(),
      // A `muter…` socket joins `hide:sender` on the bare server, which then emits `except` it.
      token: (i) => (receives(i) ? `viewer${i % viewers.length}` : `muter${i % viewers.length}`),
      send: async (i, body) =>
        status(
          await postJson(
            `${baseServers[i % 2]!.url}/emit`,
            muted ? { body, except: 'hide:sender' } : { body },
          ),
        ),
      receives,
      leaked: 0,
    };
    arms.push(app, baseline);

    const results: ScenarioResult[] = [];
    for (const { sockets, rate } of sizes) {
      progress(`${name} ${sockets}@${rate}: connecting sockets`);
      await growTo(app, sockets);
      await growTo(baseline, sockets);
      await sleep(size(options, 500, 50));
      const rounds = await alternate(
        `${name} ${sockets}@${rate}/s`,
        options.rounds,
        () => measure(app, sockets, rate, durationMs),
        () => measure(baseline, sockets, rate, durationMs),
      );
      // A push reaching a socket whose user mutes the sender is a broken filter, not a slow one.
      const leaked = rounds.app.reduce((n, r) => n + Number(r.extra?.leaked ?? 0), 0);
      if (leaked > 0) throw new Error(`${leaked} pushes reached sockets whose user mutes the sender`);
      results.push(
        summarize(`${name} ${sockets}@${rate}`, 'deliveries/s', muted ? MUTED_TARGET : TARGET, rounds, {
          sockets,
          rate,
          ...(muted
            ? { receiving: medianExtra(rounds.app, 'receiving'), leaked: medianExtra(rounds.app, 'leaked') }
            : {}),
          appPostP50Ms: medianExtra(rounds.app, 'postP50Ms'),
          appPostP99Ms: medianExtra(rounds.app, 'postP99Ms'),
        }),
      );
    }
    return results;
  } finally {
    for (const arm of arms) await closeAll(arm.sockets);
    await Promise.all(processes.map((p) => p.stop()));
    await dropBenchDatabase(run, database);
  }
}

export const fanout: Scenario = { name: 'fanout', run: (ctx) => run(ctx) };
export const fanoutMuted: Scenario = { name: 'fanout-muted', run: (ctx) => run(ctx, true) };
