// Write: posts created per second end to end — validate, insert + event log, relay, first delivery to a
// subscribed socket. Baseline: the bare fan-out server doing one INSERT, then io.to().emit(), per POST.
import type { Socket } from 'socket.io-client';
import { CpuMeter } from './harness/cpu.ts';
import { DeliveryTracker } from './harness/deliveries.ts';
import { createUsers } from './harness/fixtures.ts';
import { runAutocannon } from './harness/http.ts';
import { createBenchDatabase, dropBenchDatabase } from './harness/infra.ts';
import { size } from './harness/options.ts';
import { type BenchProcess, startBaseline, startPlazaServer } from './harness/processes.ts';
import { type ArmRound, progress, type ScenarioResult, summarize } from './harness/report.ts';
import { alternate, type Scenario, type ScenarioContext, sleep } from './harness/scenario.ts';
import { closeAll, connectOne } from './harness/sockets.ts';

const TARGET = 'posts/s ≥ 0.6';
const BODY_LENGTH = 200;

interface Arm {
  server: BenchProcess;
  path: string;
  database: string;
  headers: (i: number) => Record<string, string>;
  tracker: DeliveryTracker;
}

async function measure(arm: Arm, connections: number, durationS: number): Promise<ArmRound> {
  const maxMessages = 200_000;
  arm.tracker.begin(1, maxMessages);
  const cpu = new CpuMeter(() => [arm.server.pid], arm.database);
  let next = 0;
  const startedAt = Date.now();
  cpu.start();
  const result = await runAutocannon({
    url: arm.server.url,
    connections,
    duration: durationS,
    requests: [
      {
        method: 'POST',
        path: arm.path,
        setupRequest: (request) => {
          const i = next++ % maxMessages;
          return {
            ...request,
            headers: { 'content-type': 'application/json', ...arm.headers(i) },
            body: JSON.stringify({ body: arm.tracker.body(i, BODY_LENGTH) }),
          };
        },
      },
    ],
  });
  const created = result['2xx'];
  const deadline = Date.now() + 5_000;
  while (arm.tracker.unique < created && Date.now() < deadline) await sleep(20);
  const used = cpu.stop();
  const { tracker } = arm;
  const seconds = Math.max(1, (tracker.lastAt || Date.now()) - startedAt) / 1000;
  return {
    value: tracker.unique / seconds,
    p50Ms: tracker.latency.percentile(50),
    p99Ms: tracker.latency.percentile(99),
    lost: Math.max(0, created - tracker.unique),
    duplicated: tracker.duplicated,
    cpuPerOp: tracker.unique > 0 ? used.server / tracker.unique : null,
    dbCpuPerOp: tracker.unique > 0 && used.database !== null ? used.database / tracker.unique : null,
    extra: { created, non2xx: result.non2xx, errors: result.errors },
  };
}

async function run(ctx: ScenarioContext): Promise<ScenarioResult[]> {
  const { options, run } = ctx;
  const connections = size(options, 20, 4);
  const durationS = size(options, 5, 1);
  const database = await createBenchDatabase(run, 'write');
  const processes: BenchProcess[] = [];
  const sockets: Socket[] = [];
  try {
    progress('write: users and processes');
    const authors = await createUsers(database.db, size(options, 10, 2));
    const [appServer, baseServer] = await Promise.all([
      startPlazaServer(database.env, 'app-server'),
      startBaseline('base-write', 'bench/baselines/socketio.server.ts', {
        REDIS_URL: run.redisUrl,
        BENCH_ADAPTER_KEY: `${database.redisPrefix}:baseline`,
        DATABASE_URL: database.url,
      }),
    ]);
    processes.push(appServer, baseServer);
    const app: Arm = {
      server: appServer,
      path: '/api/v1/posts',
      database: database.name,
      headers: (i) => ({ authorization: `Bearer ${authors[i % authors.length]!.token}` }),
      tracker: new DeliveryTracker(),
    };
    const baseline: Arm = {
      server: baseServer,
      path: '/publish',
      database: database.name,
      headers: () => ({}),
      tracker: new DeliveryTracker(),
    };
    for (const arm of [app, baseline]) {
      const socket = await connectOne(arm.server.url, authors[0]!.token, ['feed']);
      arm.tracker.attach(socket, 0);
      sockets.push(socket);
    }
    const rounds = await alternate(
      'write',
      options.rounds,
      () => measure(app, connections, durationS),
      () => measure(baseline, connections, durationS),
    );
    return [summarize('write', 'posts/s', TARGET, rounds, { connections })];
  } finally {
    await closeAll(sockets);
    await Promise.all(processes.map((p) => p.stop()));
    await dropBenchDatabase(run, database);
  }
}

export const write: Scenario = { name: 'write', run };
