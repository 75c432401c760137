// The Kysely instance over a pg pool, and the helpers every feature uses to run SQL.
import { Kysely, type Transaction } from 'kysely';
import pg from 'pg';
import { PlazaDialect } from './plaza-dialect.ts';
import type { Database } from './schema.ts';

export type Db = Kysely<Database>;
export type Trx = Transaction<Database>;
/** Repositories take either: they run inside the caller's transaction when given one. */
export type Executor = Db | Trx;

const INT8_OID = 20;
const NUMERIC_OID = 1700;

/** int8 (counts, seq, money in cents) as JS numbers: all our values stay far below 2^53. */
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
    if (oid === INT8_OID || oid === NUMERIC_OID) return (value: string) => Number(value);
    return pg.types.getTypeParser(oid, format);
  }) as typeof pg.types.getTypeParser,
};

export interface DbOptions {
  url: string;
  poolSize: number;
  applicationName: string;
  onError?: (error: Error) => void;
  /**
   * Longest wait for one query's answer (default 30 s). A connection whose server went silent (a
   * network partition) otherwise holds its request until the kernel gives up, many minutes later.
   */
  queryTimeoutMs?: number;
  /** Called after each commit that appended to event_log: wakes the relay (see realtime/relay-waker.ts). */
  onEventsCommitted?: () => void;
}

export function createPool(options: DbOptions): pg.Pool {
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.poolSize,
    application_name: options.applicationName,
    types,
    // Fail fast when PostgreSQL is unreachable: a request should get 503, not hang.
    connectionTimeoutMillis: 3_000,
    idleTimeoutMillis: 30_000,
    query_timeout: options.queryTimeoutMs ?? 30_000,
  });
  // Idle clients that lose their server emit 'error' on the pool; without a listener the process dies.
  pool.on('error', (error) => options.onError?.(error));
  // A client checked out between two queries (mid-transaction, awaiting something else) that loses its
  // server emits 'error' on itself, where pg-pool listens only while it is idle: without this listener
  // the process crashes. Its next query fails instead, and the pool discards it on release.
  pool.on('connect', (client) => {
    client.on('error', (error) => options.onError?.(error));
  });
  return pool;
}

export function createDb(options: DbOptions): Db {
  return new Kysely<Database>({ dialect: new PlazaDialect(createPool(options), options.onEventsCommitted) });
}

export function clientConfig(url: string, applicationName: string): pg.ClientConfig {
  return { connectionString: url, application_name: applicationName, types, connectionTimeoutMillis: 3_000 };
}
