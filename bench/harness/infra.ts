// Databases and Redis keys of one bench run: a migrated template, one clone per scenario, all dropped after.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { createDb, type Db } from '../../server/db/database.ts';
import { migrateToLatest } from '../../server/db/migrate.ts';
import { databaseUrl, deleteKeys, dropDatabases, runStartedAt } from '../../test/helpers/cleanup.ts';
import type { BenchOptions } from './options.ts';

/** Leftovers of a crashed run older than this are dropped at the start of the next one. */
const STALE_MS = 3 * 3_600_000;

export interface BenchRun {
  runId: string;
  adminUrl: string;
  redisUrl: string;
  templateDb: string;
}

export interface BenchDatabase {
  name: string;
  url: string;
  db: Db;
  redisPrefix: string;
  /** Environment of Plaza server and worker processes on this database. */
  env: Record<string, string>;
}

async function withAdmin<T>(adminUrl: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

export async function startRun(options: BenchOptions): Promise<BenchRun> {
  const started = Date.now();
  const runId = `${started.toString(36)}${process.pid.toString(36)}`;
  await dropDatabases(options.adminUrl, 'plaza_bench_', (name) => {
    const id = /^plaza_bench_([0-9a-z]+)_/.exec(name)?.[1];
    const time = id ? runStartedAt(id) : Number.NaN;
    return Number.isFinite(time) && started - time > STALE_MS;
  });
  const templateDb = `plaza_bench_${runId}_template`;
  await migrateToLatest(databaseUrl(options.adminUrl, templateDb));
  return { runId, adminUrl: options.adminUrl, redisUrl: options.redisUrl, templateDb };
}

/** An empty database of its own for `label` (a clone of the migrated template) and a Redis prefix. */
export async function createBenchDatabase(
  run: BenchRun,
  label: string,
  extraEnv: Record<string, string> = {},
  options: { template?: boolean } = {},
): Promise<BenchDatabase> {
  const suffix = `${label.replace(/[^a-z0-9]/g, '')}_${randomBytes(3).toString('hex')}`;
  const name = `plaza_bench_${run.runId}_${suffix}`;
  await withAdmin(run.adminUrl, (client) =>
    client.query(
      options.template === false
        ? `create database "${name}"`
        : `create database "${name}" template "${run.templateDb}"`,
    ),
  );
  const url = databaseUrl(run.adminUrl, name);
  const redisPrefix = `plaza-bench-${run.runId}-${suffix}`;
  return {
    name,
    url,
    db: createDb({ url, poolSize: 10, applicationName: 'plaza-bench' }),
    redisPrefix,
    env: {
      NODE_ENV: 'production',
      DATABASE_URL: url,
      REDIS_URL: run.redisUrl,
      REDIS_PREFIX: redisPrefix,
      HOST: '127.0.0.1',
      PORT: '0',
      PUBLIC_URL: 'http://127.0.0.1:3000',
      LOG_LEVEL: 'info',
      CAPTCHA_HMAC_KEY: 'plaza-bench-captcha-key-0123456789',
      // Required in production; no bench sends mail.
      SMTP_URL: 'smtp://127.0.0.1:2525',
      CAPTCHA_MAX_NUMBER: '1000',
      SHUTDOWN_TIMEOUT_MS: '5000',
      WORKERS_METRICS_PORT: '0',
      POSTS_PER_MINUTE: '1000000',
      COMMENTS_PER_MINUTE: '1000000',
      LIKES_PER_MINUTE: '1000000',
      TRANSFERS_PER_MINUTE: '1000000',
      // Every bench client connects from this machine.
      SOCKETS_PER_ADDRESS: '1000000',
      ...extraEnv,
    },
  };
}

export async function dropBenchDatabase(run: BenchRun, database: BenchDatabase): Promise<void> {
  await database.db.destroy().catch(() => {});
  await dropDatabases(run.adminUrl, database.name, (name) => name === database.name);
  await deleteKeys(run.redisUrl, `${database.redisPrefix}*`);
}

/** Everything of this run: databases (template included) and Redis keys. */
export async function endRun(run: BenchRun): Promise<void> {
  await dropDatabases(run.adminUrl, `plaza_bench_${run.runId}_`, () => true);
  await deleteKeys(run.redisUrl, `plaza-bench-${run.runId}*`);
}

/** host/port/user of the admin URL, for psql and pgbench. */
export function pgConnectionArgs(adminUrl: string): { args: string[]; env: Record<string, string> } {
  const url = new URL(adminUrl);
  const env: Record<string, string> = {};
  if (url.password) env.PGPASSWORD = decodeURIComponent(url.password);
  return {
    args: [
      '-h',
      url.hostname,
      '-p',
      url.port || '5432',
      '-U',
      decodeURIComponent(url.username || 'postgres'),
    ],
    env,
  };
}
