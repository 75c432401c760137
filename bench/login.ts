// Login: POST /api/v1/auth/login (CAPTCHA, limits, argon2id verify, a new session) per second.
// Baseline: a loop of argon2id verifies, same library, parameters and thread pool. Also: the feed's p99
// while a login flood runs, against its idle p99.
import { type CaptchaChallenge, solveCaptcha } from '@plaza/client';
import { TEST_PASSWORD, type TestUser } from '../test/helpers/factories.ts';
import { CpuMeter } from './harness/cpu.ts';
import { createUsers, seedPosts } from './harness/fixtures.ts';
import { okPerSecond, runAutocannon } from './harness/http.ts';
import { createBenchDatabase, dropBenchDatabase } from './harness/infra.ts';
import { size } from './harness/options.ts';
import { type BenchProcess, spawnEntry, startPlazaServer } from './harness/processes.ts';
import { type ArmRound, progress, type ScenarioResult, summarize } from './harness/report.ts';
import { alternate, pool, type Scenario, type ScenarioContext } from './harness/scenario.ts';
import { round } from './harness/stats.ts';

const TARGET = 'logins/s ≥ 0.85; feed p99 under a login flood ≤ 2× idle';

/** Solved CAPTCHAs, each good for one login (they are single-use). */
async function solveMany(url: string, count: number): Promise<string[]> {
  return pool(count, 8, async () => {
    const res = await fetch(`${url}/api/v1/auth/captcha`);
    if (res.status !== 200) throw new Error(`GET /auth/captcha answered ${res.status}`);
    return solveCaptcha((await res.json()) as CaptchaChallenge);
  });
}

/** A closed-loop login load: each request its own CAPTCHA, account (round robin) and client address. */
function loginLoad(
  url: string,
  users: TestUser[],
  captchas: string[],
  connections: number,
  durationS: number,
) {
  let next = 0;
  return runAutocannon({
    url,
    connections,
    duration: durationS,
    amount: captchas.length,
    requests: [
      {
        method: 'POST',
        path: '/api/v1/auth/login',
        setupRequest: (request) => {
          const k = next++;
          return {
            ...request,
            headers: {
              'content-type': 'application/json',
              // TRUST_PROXY is on: a distinct address per request keeps the per-address limit out of the way.
              'x-forwarded-for': `10.${(k >> 16) & 255}.${(k >> 8) & 255}.${k & 255}`,
            },
            body: JSON.stringify({
              login: users[k % users.length]!.username,
              password: TEST_PASSWORD,
              captcha: captchas[k] ?? 'exhausted',
            }),
          };
        },
      },
    ],
  });
}

async function measureApp(
  server: BenchProcess,
  database: string,
  users: TestUser[],
  captchas: string[],
  connections: number,
  durationS: number,
): Promise<ArmRound> {
  const cpu = new CpuMeter(() => [server.pid], database);
  cpu.start();
  const result = await loginLoad(server.url, users, captchas, connections, durationS);
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

async function measureBaseline(connections: number, durationS: number): Promise<ArmRound> {
  const child = spawnEntry('base-argon2', 'bench/baselines/argon2.verify.ts', {
    BENCH_CONCURRENCY: String(connections),
    BENCH_DURATION_MS: String(durationS * 1000),
  });
  const done = (await child.waitReady(['done'])) as {
    verifies: number;
    seconds: number;
    cpuSeconds: number;
    p50: number;
    p99: number;
  };
  await child.stop();
  return {
    value: done.verifies / done.seconds,
    p50Ms: done.p50,
    p99Ms: done.p99,
    cpuPerOp: done.verifies > 0 ? done.cpuSeconds / done.verifies : null,
  };
}

async function feedP99(url: string, durationS: number): Promise<number> {
  const result = await runAutocannon({
    url: `${url}/api/v1/posts?limit=20`,
    connections: 10,
    duration: durationS,
  });
  return result.latency.p99;
}

async function run(ctx: ScenarioContext): Promise<ScenarioResult[]> {
  const { options, run } = ctx;
  const connections = size(options, 8, 2);
  const durationS = size(options, 4, 1);
  // ~75 logins/s × 4 s here; a CAPTCHA is single-use, so each round gets its own batch.
  const perRound = size(options, 600, 10);
  // Small proof-of-work (≤ 100 hashes) so that pre-solving a few thousand CAPTCHAs takes seconds.
  const database = await createBenchDatabase(run, 'login', {
    TRUST_PROXY: 'true',
    CAPTCHA_MAX_NUMBER: '100',
  });
  const processes: BenchProcess[] = [];
  try {
    progress('login: users, posts and a server');
    const users = await createUsers(database.db, size(options, 50, 3));
    await seedPosts(database.db, users, size(options, 200, 20));
    const server = await startPlazaServer(database.env, 'app-server');
    processes.push(server);
    progress(`login: solving ${perRound * (options.rounds + 1)} CAPTCHAs`);
    const captchas = await solveMany(server.url, perRound * (options.rounds + 1));
    const batch = (i: number) => captchas.slice(i * perRound, (i + 1) * perRound);
    const rounds = await alternate(
      'login',
      options.rounds,
      (i) => measureApp(server, database.name, users, batch(i), connections, durationS),
      () => measureBaseline(connections, durationS),
    );
    progress('login: feed p99 idle, then under a login flood');
    const floodS = size(options, 3, 1);
    const idle = await feedP99(server.url, floodS);
    const [flooded] = await Promise.all([
      feedP99(server.url, floodS),
      loginLoad(server.url, users, batch(options.rounds), connections, floodS),
    ]);
    return [
      summarize('login', 'logins/s', TARGET, rounds, {
        connections,
        feedP99IdleMs: idle,
        feedP99FloodMs: flooded,
        floodOverIdle: round(idle > 0 ? flooded / idle : null, 2),
      }),
    ];
  } finally {
    await Promise.all(processes.map((p) => p.stop()));
    await dropBenchDatabase(run, database);
  }
}

export const login: Scenario = { name: 'login', run };
