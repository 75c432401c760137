// Kysely's PostgreSQL dialect with a driver of our own over the pg pool, for two things Kysely's driver
// cannot do:
//
// 1. Prepared statements for the hot paths. SQL that starts with `/* prepare:<name> */` runs as a named
//    statement, parsed and analysed once per connection: for our larger statements (a post and its
//    event, the relay's assignment, reminder batches) planning cost as much as running them (pgbench:
//    4.5k/s prepared against 2.5k/s extended). Only marked SQL is prepared, so statements whose text
//    varies (an `in (…)` list) never pile up on the server.
// 2. Waking the relay: `onEventsCommitted` runs after every commit of a transaction (or autocommit
//    statement) that inserted into event_log. Why not NOTIFY from a trigger, as before: a NOTIFYing
//    commit takes a database-wide lock and holds it through its WAL flush, so every writer's commit
//    queued behind every other's (pgbench: 3.4k inserts/s with the trigger, 8k without).
import { createHash } from 'node:crypto';
import {
  type Compilable,
  type CompiledQuery,
  type DatabaseConnection,
  type DatabaseIntrospector,
  type Dialect,
  type DialectAdapter,
  type Driver,
  type Kysely,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  type QueryCompiler,
  type QueryResult,
  type TransactionSettings,
} from 'kysely';
import type pg from 'pg';

/** Matches the statements that append events: Kysely's `insert into "event_log"` and our raw SQL. */
const APPENDS_EVENTS = /\binsert\s+into\s+"?event_log"?[\s(]/i;
const PREPARE_MARK = /^\s*\/\* prepare:([a-z0-9-]+) \*\//;

/** Prefixes SQL so that it runs as a named prepared statement (see above). Names are per statement text. */
export const prepared = (name: string, text: string): string => `/* prepare:${name} */ ${text}`;

/**
 * A query builder's query, marked to run prepared: `db.executeQuery(preparedQuery('name', query))`.
 * For statements whose text does not vary with their input (no `in (…)` lists of varying length).
 */
export function preparedQuery<R>(name: string, query: Compilable<R>): CompiledQuery<R> {
  const compiled = query.compile();
  return { ...compiled, sql: prepared(name, compiled.sql) };
}

const statementNames = new Map<string, string | null>();
/** The pg statement name for a marked SQL text (its name and a digest: two texts never share one). */
export function statementName(text: string): string | undefined {
  let name = statementNames.get(text);
  if (name === undefined) {
    const mark = PREPARE_MARK.exec(text)?.[1];
    name = mark ? `${mark}-${createHash('sha1').update(text).digest('hex').slice(0, 12)}` : null;
    // Only marked texts are remembered, and there are a handful of them.
    if (name) statementNames.set(text, name);
  }
  return name ?? undefined;
}

class PlazaConnection implements DatabaseConnection {
  inTransaction = false;
  appendedEvents = false;

  readonly client: pg.PoolClient;
  private readonly onEventsCommitted: (() => void) | undefined;

  constructor(client: pg.PoolClient, onEventsCommitted: (() => void) | undefined) {
    this.client = client;
    this.onEventsCommitted = onEventsCommitted;
  }

  async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    const result = await this.client.query({
      text: query.sql,
      values: query.parameters as unknown[],
      name: statementName(query.sql),
    });
    if (this.onEventsCommitted && APPENDS_EVENTS.test(query.sql)) {
      if (this.inTransaction) this.appendedEvents = true;
      else this.onEventsCommitted();
    }
    const { command, rowCount, rows } = result;
    return {
      numAffectedRows:
        command === 'INSERT' || command === 'UPDATE' || command === 'DELETE' || command === 'MERGE'
          ? BigInt(rowCount ?? 0)
          : undefined,
      rows: (rows ?? []) as R[],
    };
  }

  // biome-ignore lint/correctness/useYield: streaming is not offered; the method exists for the interface.
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('Streaming queries are not supported by this driver');
  }

  async run(text: string): Promise<void> {
    await this.client.query(text);
  }
}

class PlazaDriver implements Driver {
  private readonly connections = new WeakMap<pg.PoolClient, PlazaConnection>();

  private readonly pool: pg.Pool;
  private readonly onEventsCommitted: (() => void) | undefined;

  constructor(pool: pg.Pool, onEventsCommitted: (() => void) | undefined) {
    this.pool = pool;
    this.onEventsCommitted = onEventsCommitted;
  }

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    const client = await this.pool.connect();
    let connection = this.connections.get(client);
    if (!connection) {
      connection = new PlazaConnection(client, this.onEventsCommitted);
      this.connections.set(client, connection);
    }
    return connection;
  }

  async beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    const c = connection as PlazaConnection;
    let text = 'begin';
    if (settings.isolationLevel || settings.accessMode) {
      text = 'start transaction';
      if (settings.isolationLevel) text += ` isolation level ${settings.isolationLevel}`;
      if (settings.accessMode) text += ` ${settings.accessMode}`;
    }
    await c.run(text);
    c.inTransaction = true;
    c.appendedEvents = false;
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    const c = connection as PlazaConnection;
    try {
      await c.run('commit');
      if (c.appendedEvents) this.onEventsCommitted?.();
    } finally {
      c.inTransaction = false;
      c.appendedEvents = false;
    }
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    const c = connection as PlazaConnection;
    try {
      await c.run('rollback');
    } finally {
      c.inTransaction = false;
      c.appendedEvents = false;
    }
  }

  // A savepoint rolled back may have undone the events: the relay then wakes for nothing, harmlessly.
  async savepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await (connection as PlazaConnection).run(`savepoint ${quoteIdentifier(name)}`);
  }

  async rollbackToSavepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await (connection as PlazaConnection).run(`rollback to savepoint ${quoteIdentifier(name)}`);
  }

  async releaseSavepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await (connection as PlazaConnection).run(`release savepoint ${quoteIdentifier(name)}`);
  }

  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    const c = connection as PlazaConnection;
    // A connection given back mid-transaction (its client broke) must not carry the flag to its next user.
    c.inTransaction = false;
    c.appendedEvents = false;
    c.client.release();
  }

  async destroy(): Promise<void> {
    await this.pool.end();
  }
}

const quoteIdentifier = (name: string) => `"${name.replaceAll('"', '""')}"`;

export class PlazaDialect implements Dialect {
  private readonly pool: pg.Pool;
  private readonly onEventsCommitted?: () => void;

  constructor(pool: pg.Pool, onEventsCommitted?: () => void) {
    this.pool = pool;
    this.onEventsCommitted = onEventsCommitted;
  }

  createDriver(): Driver {
    return new PlazaDriver(this.pool, this.onEventsCommitted);
  }

  createQueryCompiler(): QueryCompiler {
    return new PostgresQueryCompiler();
  }

  createAdapter(): DialectAdapter {
    return new PostgresAdapter();
  }

  // biome-ignore lint/suspicious/noExplicitAny: Kysely's own Dialect signature takes Kysely<any>.
  createIntrospector(db: Kysely<any>): DatabaseIntrospector {
    return new PostgresIntrospector(db);
  }
}
