// Run options of `npm run bench`: which scenarios, and full or smoke sizes.

export interface BenchOptions {
  /** Seconds-long run with tiny counts: proves every scenario works, measures nothing worth quoting. */
  smoke: boolean;
  /** A/B rounds per scenario (≥ 3 in a real run). */
  rounds: number;
  /** Scenario names to run; empty: all. */
  only: string[];
  adminUrl: string;
  redisUrl: string;
}

export function parseOptions(argv: string[], env: NodeJS.ProcessEnv = process.env): BenchOptions {
  const flags = argv.filter((a) => a.startsWith('--'));
  const names = argv.filter((a) => !a.startsWith('--'));
  const smoke = flags.includes('--smoke') || env.BENCH_SMOKE === '1';
  const roundsFlag = flags.find((f) => f.startsWith('--rounds='));
  const rounds = roundsFlag ? Number(roundsFlag.split('=')[1]) : Number(env.BENCH_ROUNDS ?? (smoke ? 1 : 3));
  return {
    smoke,
    rounds: Number.isInteger(rounds) && rounds > 0 ? rounds : smoke ? 1 : 3,
    only: names,
    adminUrl:
      env.BENCH_DATABASE_ADMIN_URL ??
      env.TEST_DATABASE_ADMIN_URL ??
      'postgres://postgres@127.0.0.1:5432/postgres',
    redisUrl: env.BENCH_REDIS_URL ?? env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
  };
}

/** `full` in a real run, `smoke` in a smoke run. */
export const size = <T>(options: Pick<BenchOptions, 'smoke'>, full: T, smoke: T): T =>
  options.smoke ? smoke : full;
