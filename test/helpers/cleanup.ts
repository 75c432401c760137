// Removing what a run of tests or benchmarks created: its databases and its Redis keys.
import { Redis } from 'ioredis';
import pg from 'pg';

export const databaseUrl = (adminUrl: string, name: string): string => {
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
};

/** Drops (even while connected to) every database whose name starts with `prefix` and matches. */
export async function dropDatabases(
  adminUrl: string,
  prefix: string,
  match: (name: string) => boolean,
): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ datname: string }>(
      'select datname from pg_database where starts_with(datname, $1)',
      [prefix],
    );
    for (const { datname } of rows.filter((r) => match(r.datname))) {
      await client.query(`drop database if exists "${datname.replaceAll('"', '""')}" with (force)`);
    }
  } finally {
    await client.end();
  }
}

/** Unlinks every key matching the SCAN `pattern` for which `match` (default: all) holds. */
export async function deleteKeys(
  redisUrl: string,
  pattern: string,
  match: (key: string) => boolean = () => true,
): Promise<void> {
  const redis = new Redis(redisUrl, { lazyConnect: true });
  await redis.connect();
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      const doomed = keys.filter(match);
      if (doomed.length > 0) await redis.unlink(...doomed);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

/** The start time encoded in a run id (`<Date.now() base 36><pid base 36>`), or NaN. */
export const runStartedAt = (runId: string): number => Number.parseInt(runId.slice(0, 8), 36);
