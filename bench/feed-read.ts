// Feed-read: GET /api/v1/posts, a page of 20 with authors and counts, anonymous (the hot, shared first
// page). Baseline: bare Hono + @hono/node-server doing one indexed pg query of the same rows.
import { CpuMeter } from './harness/cpu.ts';
import { createUsers, seedPosts } from './harness/fixtures.ts';
import { okPerSecond, runAutocannon } from './harness/http.ts';
import { createBenchDatabase, dropBenchDatabase } from './harness/infra.ts';
import { size } from './harness/options.ts';
import { type BenchProcess, startBaseline, startPlazaServer } from './harness/processes.ts';
import { type ArmRound, progress, type ScenarioResult, summarize } from './harness/report.ts';
import { alternate, type Scenario, type ScenarioContext } from './harness/scenario.ts';

const TARGET = "req/s ≥ 2.0, p99 ≤ the baseline's";

async function measure(
  server: BenchProcess,
  path: string,
  database: string,
  connections: number,
  durationS: number,
): Promise<ArmRound> {
  const cpu = new CpuMeter(() => [server.pid], database);
  cpu.start();
  const result = await runAutocannon({ url: `${server.url}${path}`, connections, duration: durationS });
  const used = cpu.stop();
  const ok = result['2xx'];
  return {
    value: okPerSecond(result),
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    cpuPerOp: ok > 0 ? used.server / ok : null,
    dbCpuPerOp: ok > 0 && used.database !== null ? used.database / ok : null,
    extra: { non2xx: result.non2xx, errors: result.errors },
  };
}

async function run(ctx: ScenarioContext): Promise<ScenarioResult[]> {
  const { options, run } = ctx;
  const connections = size(options, 50, 5);
  const durationS = size(options, 5, 1);
  const database = await createBenchDatabase(run, 'feedread');
  const processes: BenchProcess[] = [];
  try {
    progress('feed-read: posts and processes');
    const authors = await createUsers(database.db, size(options, 50, 3));
    await seedPosts(database.db, authors, size(options, 2_000, 50));
    const [app, base] = await Promise.all([
      startPlazaServer(database.env, 'app-server'),
      startBaseline('base-feed-read', 'bench/baselines/feed-read.server.ts', { DATABASE_URL: database.url }),
    ]);
    processes.push(app, base);
    const check = await fetch(`${app.url}/api/v1/posts?limit=20`);
    const page = (await check.json()) as { items?: unknown[] };
    if (check.status !== 200 || page.items?.length !== Math.min(20, size(options, 2_000, 50))) {
      throw new Error(`GET /api/v1/posts answered ${check.status} with ${page.items?.length} items`);
    }
    const rounds = await alternate(
      'feed-read',
      options.rounds,
      () => measure(app, '/api/v1/posts?limit=20', database.name, connections, durationS),
      () => measure(base, '/posts', database.name, connections, durationS),
    );
    return [summarize('feed-read', 'req/s', TARGET, rounds, { connections })];
  } finally {
    await Promise.all(processes.map((p) => p.stop()));
    await dropBenchDatabase(run, database);
  }
}

export const feedRead: Scenario = { name: 'feed-read', run };
