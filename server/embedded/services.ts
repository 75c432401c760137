// Which PostgreSQL and Redis `npm start` uses: the configured ones (checked, or one plain line and exit 1),
// the embedded ones when asked (`embedded`), or — both variables unset and nothing answering at the
// default address — the embedded ones after a one-line notice.
import type { Config, ServiceSource } from '../config.ts';
import { checkPostgres, checkRedis, redactUrl } from '../lib/reachability.ts';
import { type EmbeddedService, startEmbeddedPostgres } from './embedded-postgres.ts';
import { startEmbeddedRedis } from './embedded-redis.ts';
import { forgetRunning, recordRunning } from './running.ts';

export interface Services {
  databaseUrl: string;
  redisUrl: string;
  /** Stops the embedded services (after the processes using them are gone). */
  stop: () => Promise<void>;
}

/** How long the default address gets to answer before an unset variable means "embedded". */
const DEFAULT_PROBE_MS = 1_500;

async function choose(
  source: ServiceSource,
  url: string,
  check: (url: string, timeoutMs?: number) => Promise<void>,
): Promise<'url' | 'embedded' | 'unreachable-default'> {
  if (source === 'embedded') return 'embedded';
  if (source === 'set') {
    await check(url);
    return 'url';
  }
  return check(url, DEFAULT_PROBE_MS).then(
    () => 'url',
    () => 'unreachable-default',
  );
}

export async function startServices(config: Config, say: (line: string) => void): Promise<Services> {
  const started: EmbeddedService[] = [];
  let recorded = false;
  const stop = async () => {
    if (recorded) forgetRunning(config.dataDir);
    await Promise.all(started.map((s) => s.stop()));
  };
  try {
    const [database, redis] = await Promise.all([
      choose(config.databaseSource, config.databaseUrl, checkPostgres),
      choose(config.redisSource, config.redisUrl, checkRedis),
    ]);
    if (database === 'unreachable-default') {
      say(
        `DATABASE_URL is unset and nothing answers at ${redactUrl(config.databaseUrl)}: ` +
          `using an embedded PostgreSQL (data in ${config.dataDir}/postgres)`,
      );
    }
    if (redis === 'unreachable-default') {
      say(
        `REDIS_URL is unset and nothing answers at ${redactUrl(config.redisUrl)}: ` +
          `using an embedded Redis (data in ${config.dataDir}/redis)`,
      );
    }
    const [databaseUrl, redisUrl] = await Promise.all([
      database === 'url'
        ? config.databaseUrl
        : startEmbeddedPostgres(config.dataDir, say).then((s) => {
            started.push(s);
            return s.url;
          }),
      redis === 'url'
        ? config.redisUrl
        : startEmbeddedRedis(config.dataDir, say).then((s) => {
            started.push(s);
            return s.url;
          }),
    ]);
    if (started.length > 0) {
      recordRunning(config.dataDir, {
        ...(database === 'url' ? {} : { databaseUrl }),
        ...(redis === 'url' ? {} : { redisUrl }),
      });
      recorded = true;
    }
    return { databaseUrl, redisUrl, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
