// Once per test run: dist/ built if stale, a migrated template database that every test file clones, a run id for names
// and Redis prefixes, and removal of everything the run (or a crashed earlier run) left behind.

import type { TestProject } from 'vitest/node';
import { ensureBuilt } from '../../build/freshness.ts';
import { migrateToLatest } from '../../server/db/migrate.ts';
import { databaseUrl, deleteKeys, dropDatabases, runStartedAt } from './cleanup.ts';

export { databaseUrl };

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

/** Older than this, a run's leftovers belong to a run that crashed before its teardown. */
const isStale = (runId: string | undefined, now: number) => {
  const time = runId ? runStartedAt(runId) : Number.NaN;
  return Number.isFinite(time) && now - time > STALE_MS;
};

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const adminUrl = process.env.TEST_DATABASE_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const redisUrl = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
  const started = Date.now();
  const runId = `${started.toString(36)}${process.pid.toString(36)}`;
  const templateDb = `plaza_test_${runId}_template`;

  // Leftovers of runs that crashed before their teardown (their id starts with their start time).
  await dropDatabases(adminUrl, 'plaza_test_', (name) =>
    isStale(/^plaza_test_([0-9a-z]+)_/.exec(name)?.[1], started),
  );
  await deleteKeys(redisUrl, 'plaza-test-*', (key) =>
    isStale(/^plaza-test-([0-9a-z]+)-/.exec(key)?.[1], started),
  );

  // Server processes load the built pages and browser bundle, as `npm run server` does.
  await ensureBuilt((line) => console.log(`plaza: ${line}`));
  await migrateToLatest(databaseUrl(adminUrl, templateDb));
  project.provide('testRun', { runId, adminUrl, redisUrl, templateDb });

  return async () => {
    await dropDatabases(adminUrl, `plaza_test_${runId}_`, () => true);
    await deleteKeys(redisUrl, `plaza-test-${runId}*`);
  };
}
