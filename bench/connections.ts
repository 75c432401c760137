// Connections: idle authenticated sockets, each in ~5 rooms (user, session, feed, home, author): memory
// per connection and connects/s. Baseline: bare Socket.IO sockets joining as many rooms. A fresh server
// process per round, so every round starts from the same heap: memory is read while the first `count`
// sockets connect to it; they are closed, and connects/s is timed with `count` sockets of other users
// (sessions not seen yet), so the rate is a running server's, not the JIT's compiling the connect path
// of a process a second old. Both arms go through the same two phases.
import type { Socket } from 'socket.io-client';
import { CpuMeter } from './harness/cpu.ts';
import { createUsers } from './harness/fixtures.ts';
import { createBenchDatabase, dropBenchDatabase } from './harness/infra.ts';
import { size } from './harness/options.ts';
import type { BenchProcess } from './harness/processes.ts';
import { startBaseline, startPlazaServer } from './harness/processes.ts';
import { type ArmRound, progress, type ScenarioResult, summarize } from './harness/report.ts';
import { type Scenario, type ScenarioContext, sleep } from './harness/scenario.ts';
import { closeAll, connectMany } from './harness/sockets.ts';

interface Measured {
  memory: ArmRound;
  rate: ArmRound;
}

async function measure(
  start: () => Promise<BenchProcess>,
  count: number,
  token: (phase: 0 | 1, i: number) => string,
  settleMs: number,
): Promise<Measured> {
  const server = await start();
  let sockets: Socket[] = [];
  const connect = (phase: 0 | 1) =>
    connectMany([server.url], count, {
      topics: ['feed', 'home'],
      token: (i) => token(phase, i),
      concurrency: 50,
    });
  try {
    await sleep(settleMs);
    const rssBefore = server.rssBytes();
    sockets = await connect(0);
    await sleep(settleMs);
    const perConnection = (server.rssBytes() - rssBefore) / count;
    const rssMiB = server.rssBytes() / 2 ** 20;
    await closeAll(sockets);
    sockets = [];
    await sleep(settleMs);

    const cpu = new CpuMeter(() => [server.pid]);
    cpu.start();
    const t0 = performance.now();
    sockets = await connect(1);
    const seconds = (performance.now() - t0) / 1000;
    const used = cpu.stop();
    return {
      memory: { value: perConnection / 1024, extra: { rssMiB } },
      rate: { value: count / seconds, cpuPerOp: used.server / count },
    };
  } finally {
    await closeAll(sockets);
    await server.stop();
  }
}

async function run(ctx: ScenarioContext): Promise<ScenarioResult[]> {
  const { options, run } = ctx;
  const count = size(options, 3_000, 30);
  // Time for the heap to settle before and after connecting (RSS is read then).
  const settleMs = size(options, 1_500, 200);
  const database = await createBenchDatabase(run, 'connections');
  try {
    progress(`connections: ${count} users with sessions`);
    // Two users per socket slot: the memory phase's, and the rate phase's (sessions not cached yet).
    const users = await createUsers(database.db, 2 * count);
    const memory = { app: [] as ArmRound[], baseline: [] as ArmRound[] };
    const rate = { app: [] as ArmRound[], baseline: [] as ArmRound[] };
    for (let i = 0; i < options.rounds; i++) {
      progress(`connections: round ${i + 1}/${options.rounds} app (${count} sockets)`);
      const app = await measure(
        () => startPlazaServer(database.env, 'app-server'),
        count,
        (phase, k) => users[phase * count + k]!.token,
        settleMs,
      );
      progress(`connections: round ${i + 1}/${options.rounds} app ${app.rate.value.toFixed(0)}/s; baseline`);
      const base = await measure(
        () =>
          startBaseline('base-connections', 'bench/baselines/socketio.server.ts', {
            REDIS_URL: run.redisUrl,
            BENCH_ADAPTER_KEY: `${database.redisPrefix}:baseline`,
          }),
        count,
        (phase, k) => `viewer${phase}-${k}`,
        settleMs,
      );
      memory.app.push(app.memory);
      memory.baseline.push(base.memory);
      rate.app.push(app.rate);
      rate.baseline.push(base.rate);
    }
    return [
      summarize('connections memory', 'KiB/socket', 'memory ≤ 0.8 (lower is better)', memory, {
        sockets: count,
      }),
      summarize('connections rate', 'connects/s', 'connects/s ≥ 0.8', rate, { sockets: count }),
    ];
  } finally {
    await dropBenchDatabase(run, database);
  }
}

export const connections: Scenario = { name: 'connections', run };
