// Once per test run: a migrated template database that every test file clones, a run id for names
// and Redis prefixes, and removal of everything the run (or a crashed earlier run) left behind.

import { Redis } from 'ioredis';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { migrateToLatest } from '../../server/db/migrate.ts';

export interface TestRun {
  runId: string;
  adminUrl: string;
  redisUrl: string;
  templateDb: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    testRun: TestRun;
  }
}

const STALE_MS = 3 * 3_600_000;

export const databaseUrl = (adminUrl: string, name: string) => {
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
};

async function dropDatabases(adminUrl: string, match: (name: string) => boolean): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ datname: string }>(
      "select datname from pg_database where datname like 'plaza_test_%'",
    );
    for (const { datname } of rows.filter((r) => match(r.datname))) {
      await client.query(`drop database if exists "${datname}" with (force)`);
    }
  } finally {
    await client.end();
  }
}

async function deleteKeys(redisUrl: string, pattern: string): Promise<void> {
  const redis = new Redis(redisUrl, { lazyConnect: true });
  await redis.connect();
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await redis.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

/** Keys of runs that crashed before their teardown (`plaza-test-<runId>-…`, runId starting with its time). */
async function deleteStaleKeys(redisUrl: string, now: number): Promise<void> {
  const redis = new Redis(redisUrl, { lazyConnect: true });
  await redis.connect();
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', 'plaza-test-*', 'COUNT', 1000);
      cursor = next;
      const stale = keys.filter((key) => {
        const time = Number.parseInt(key.slice('plaza-test-'.length, 'plaza-test-'.length + 8), 36);
        return Number.isFinite(time) && now - time > STALE_MS;
      });
      if (stale.length > 0) await redis.unlink(...stale);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const adminUrl = process.env.TEST_DATABASE_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const redisUrl = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
  const started = Date.now();
  const runId = `${started.toString(36)}${process.pid.toString(36)}`;
  const templateDb = `plaza_test_${runId}_template`;

  // Leftovers of runs that crashed before their teardown (their id starts with their start time).
  await dropDatabases(adminUrl, (name) => {
    const id = /^plaza_test_([0-9a-z]+)_/.exec(name)?.[1];
    const time = id ? Number.parseInt(id.slice(0, 8), 36) : Number.NaN;
    return Number.isFinite(time) && started - time > STALE_MS;
  });

  await deleteStaleKeys(redisUrl, started);

  await migrateToLatest(databaseUrl(adminUrl, templateDb));
  project.provide('testRun', { runId, adminUrl, redisUrl, templateDb });

  return async () => {
    await dropDatabases(adminUrl, (name) => name.startsWith(`plaza_test_${runId}_`));
    await deleteKeys(redisUrl, `plaza-test-${runId}*`);
  };
}
