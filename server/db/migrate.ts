// `npm run migrate`: create the database if missing, then apply every pending migration.
// Safe to run twice or from several processes at once (Kysely takes an advisory lock).
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type Migration, type MigrationProvider, Migrator } from 'kysely';
import pg from 'pg';
import { loadConfigOrExit } from '../config.ts';
import { createLogger } from '../lib/logger.ts';
import { checkPostgres } from '../lib/reachability.ts';
import { failStartup } from '../lib/startup.ts';
import { createDb } from './database.ts';

const MIGRATIONS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../migrations');

/** Migrations sorted by their numeric prefix, loaded as ES modules. */
class FolderMigrationProvider implements MigrationProvider {
  async getMigrations(): Promise<Record<string, Migration>> {
    const files = (await fs.readdir(MIGRATIONS_DIR)).filter((f) => /^\d+_.+\.ts$/.test(f)).sort();
    const migrations: Record<string, Migration> = {};
    for (const file of files) {
      const module = (await import(pathToFileURL(path.join(MIGRATIONS_DIR, file)).href)) as Migration;
      migrations[file.replace(/\.ts$/, '')] = module;
    }
    return migrations;
  }
}

/** CREATE DATABASE unless it exists; a concurrent creator winning the race is fine. */
export async function ensureDatabase(databaseUrl: string): Promise<boolean> {
  const url = new URL(databaseUrl);
  const name = decodeURIComponent(url.pathname.slice(1));
  if (!name) throw new Error('DATABASE_URL names no database');
  url.pathname = '/postgres';
  const client = new pg.Client({ connectionString: url.toString(), connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    const exists = await client.query('select 1 from pg_database where datname = $1', [name]);
    if (exists.rowCount) return false;
    await client.query(`create database "${name.replaceAll('"', '""')}"`);
    return true;
  } catch (error) {
    // 42P04 duplicate_database; 23505 when two creators collide in pg_database's unique index.
    const code = (error as { code?: string }).code;
    if (code === '42P04' || code === '23505') return false;
    throw error;
  } finally {
    await client.end();
  }
}

export interface MigrateResult {
  created: boolean;
  applied: string[];
}

export async function migrateToLatest(databaseUrl: string): Promise<MigrateResult> {
  const created = await ensureDatabase(databaseUrl);
  const db = createDb({ url: databaseUrl, poolSize: 2, applicationName: 'plaza-migrate' });
  try {
    const migrator = new Migrator({ db, provider: new FolderMigrationProvider() });
    const { error, results } = await migrator.migrateToLatest();
    const failed = results?.find((r) => r.status === 'Error');
    if (error || failed) {
      throw new Error(`migration ${failed?.migrationName ?? ''} failed: ${String(error)}`, { cause: error });
    }
    return { created, applied: (results ?? []).map((r) => r.migrationName) };
  } finally {
    await db.destroy();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const config = loadConfigOrExit();
  const logger = createLogger(config.logLevel, 'migrate');
  checkPostgres(config.databaseUrl)
    .then(() => migrateToLatest(config.databaseUrl))
    .then(
      ({ created, applied }) => {
        logger.info({ created, applied }, applied.length ? 'migrations applied' : 'database is up to date');
      },
      (error: unknown) => failStartup('migrate', error, logger),
    );
}
