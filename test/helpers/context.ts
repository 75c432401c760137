// Per test file: a database cloned from the migrated template and a Redis prefix of its own.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import { createDb, type Db } from '../../server/db/database.ts';
import { closeRedis, createRedis } from '../../server/lib/redis.ts';
import { RelayWaker } from '../../server/realtime/relay-waker.ts';
import { databaseUrl } from './global-setup.ts';

export interface TestContext {
  databaseUrl: string;
  redisUrl: string;
  redisPrefix: string;
  /** Environment for server and worker processes of this context. */
  env: Record<string, string>;
  db: Db;
  close: () => Promise<void>;
}

export async function createTestContext(extraEnv: Record<string, string> = {}): Promise<TestContext> {
  const run = inject('testRun');
  const suffix = randomBytes(4).toString('hex');
  const name = `plaza_test_${run.runId}_${suffix}`;
  const admin = new pg.Client({ connectionString: run.adminUrl });
  await admin.connect();
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        await admin.query(`create database "${name}" template "${run.templateDb}"`);
        break;
      } catch (error) {
        // 55006: the template is briefly in use by a concurrent clone.
        if ((error as { code?: string }).code !== '55006' || attempt > 20) throw error;
        await new Promise((resolve) => setTimeout(resolve, 100 + Math.random() * 200));
      }
    }
  } finally {
    await admin.end();
  }
  const url = databaseUrl(run.adminUrl, name);
  const redisPrefix = `plaza-test-${run.runId}-${suffix}`;
  // Fixtures write events through this db like the app does: the relay leader hears of their commits.
  const wakeRedis = createRedis(run.redisUrl, 'commands', 'plaza-test-waker');
  const relayWaker = new RelayWaker(wakeRedis, redisPrefix);
  const db = createDb({
    url,
    poolSize: 5,
    applicationName: 'plaza-test',
    onEventsCommitted: relayWaker.eventsCommitted,
  });
  return {
    databaseUrl: url,
    redisUrl: run.redisUrl,
    redisPrefix,
    env: {
      NODE_ENV: 'test',
      DATABASE_URL: url,
      REDIS_URL: run.redisUrl,
      REDIS_PREFIX: redisPrefix,
      HOST: '127.0.0.1',
      PORT: '0',
      LOG_LEVEL: 'info',
      CAPTCHA_MAX_NUMBER: '1000',
      SHUTDOWN_TIMEOUT_MS: '10000',
      WORKERS_METRICS_PORT: '0',
      ...extraEnv,
    },
    db,
    close: async () => {
      await db.destroy();
      await closeRedis(wakeRedis);
    },
  };
}
