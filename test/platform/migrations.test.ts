import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { createDb } from '../../server/db/database.ts';
import { migrateToLatest } from '../../server/db/migrate.ts';
import { databaseUrl } from '../helpers/global-setup.ts';
import { runToExit } from '../helpers/processes.ts';

const run = inject('testRun');
const freshUrl = () =>
  databaseUrl(run.adminUrl, `plaza_test_${run.runId}_m${randomBytes(3).toString('hex')}`);

describe('migrations', () => {
  const dbs: ReturnType<typeof createDb>[] = [];
  afterAll(async () => {
    await Promise.all(dbs.map((db) => db.destroy()));
  });

  it('create the database when missing, apply everything, and do nothing the second time', async () => {
    const url = freshUrl();
    const first = await migrateToLatest(url);
    expect(first.created).toBe(true);
    expect(first.applied).toContain('0001_event_log');

    const second = await migrateToLatest(url);
    expect(second).toEqual({ created: false, applied: [] });

    const db = createDb({ url, poolSize: 1, applicationName: 'test' });
    dbs.push(db);
    const state = await db.selectFrom('relay_state').selectAll().execute();
    expect(state).toHaveLength(1);
    const indexes = await sql<{ indexname: string }>`
      select indexname from pg_indexes where tablename = 'event_log'`.execute(db);
    expect(indexes.rows.map((r) => r.indexname)).toEqual(
      expect.arrayContaining(['event_log_seq', 'event_log_unrelayed', 'event_log_rooms']),
    );
  });

  it('are safe from two processes at once', async () => {
    const url = freshUrl();
    const env = { DATABASE_URL: url, LOG_LEVEL: 'info' };
    const [a, b] = await Promise.all([
      runToExit('server/db/migrate.ts', env),
      runToExit('server/db/migrate.ts', env),
    ]);
    expect([a.code, b.code]).toEqual([0, 0]);
    const db = createDb({ url, poolSize: 1, applicationName: 'test' });
    dbs.push(db);
    const applied = await sql<{ name: string }>`select name from kysely_migration`.execute(db);
    expect(applied.rows.map((r) => r.name)).toContain('0001_event_log');
    expect(new Set(applied.rows.map((r) => r.name)).size).toBe(applied.rows.length);
  });
});
