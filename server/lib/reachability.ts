// Start-up checks of PostgreSQL and Redis: a dependency that does not answer is named in one plain line
// (which URL, what went wrong, what to do) instead of surfacing later as a stack trace or an endless retry.
import { Redis } from 'ioredis';
import pg from 'pg';

export type Dependency = 'PostgreSQL' | 'Redis';

/** A dependency that cannot be used at start-up; its message is the one line the operator reads. */
export class UnreachableError extends Error {
  readonly dependency: Dependency;

  constructor(dependency: Dependency, message: string, cause: unknown) {
    super(message, { cause });
    this.name = 'UnreachableError';
    this.dependency = dependency;
  }
}

/** The URL without its password, fit for a log line. */
export function redactUrl(value: string): string {
  try {
    const url = new URL(value);
    if (url.password) url.password = '***';
    return url.toString();
  } catch {
    return value;
  }
}

const CONNECT_REASONS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'unknown host',
  EAI_AGAIN: 'host name lookup failed',
  ETIMEDOUT: 'timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ECONNRESET: 'connection reset',
};

/** A short reason for a failed connection: the errno's meaning, or the server's own words. */
export function connectionReason(error: unknown): string {
  const errors = error instanceof AggregateError ? error.errors : [error];
  for (const e of errors) {
    const code = (e as { code?: string }).code;
    if (code && CONNECT_REASONS[code]) return CONNECT_REASONS[code];
  }
  const message = (errors[0] as Error | undefined)?.message || String(error);
  return message.split('\n')[0]!;
}

/** Connects once and runs `select 1`; throws UnreachableError naming the URL. */
export async function checkPostgres(databaseUrl: string, timeoutMs = 5_000): Promise<void> {
  // The maintenance database: the configured one may not exist yet (migrate creates it).
  const url = new URL(databaseUrl);
  url.pathname = '/postgres';
  const client = new pg.Client({ connectionString: url.toString(), connectionTimeoutMillis: timeoutMs });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query('select 1');
  } catch (error) {
    throw new UnreachableError(
      'PostgreSQL',
      `Cannot reach PostgreSQL at ${redactUrl(databaseUrl)} (${connectionReason(error)}). ` +
        'Start PostgreSQL there or set DATABASE_URL to one that runs ' +
        '(with `npm start`, DATABASE_URL=embedded runs a private one).',
      error,
    );
  } finally {
    await client.end().catch(() => {});
  }
}

/** Connects once and PINGs; throws UnreachableError naming the URL. */
export async function checkRedis(redisUrl: string, timeoutMs = 5_000): Promise<void> {
  const redis = new Redis(redisUrl, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: false,
  });
  // connect() rejects with "Connection is closed"; the socket's own error (ECONNREFUSED…) comes as an event.
  let socketError: unknown;
  redis.on('error', (error) => {
    socketError ??= error;
  });
  try {
    await redis.connect();
    await redis.ping();
  } catch (thrown) {
    const error = socketError ?? thrown;
    throw new UnreachableError(
      'Redis',
      `Cannot reach Redis at ${redactUrl(redisUrl)} (${connectionReason(error)}). ` +
        'Start Redis there or set REDIS_URL to one that runs (with `npm start`, REDIS_URL=embedded runs a private one).',
      error,
    );
  } finally {
    redis.disconnect();
  }
}
