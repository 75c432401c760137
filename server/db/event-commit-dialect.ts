// A Kysely dialect wrapper that tells the relay when events were committed: after every commit of a
// transaction (or autocommit statement) that inserted into event_log, `onEventsCommitted` runs.
//
// Why not NOTIFY from a trigger, as before: a transaction that NOTIFYs takes a database-wide lock at
// commit and holds it through its WAL flush, so every writer's commit queued behind every other's
// (pgbench here: 3.4k inserts/s with the trigger, 8k without). The hook costs a regular expression
// per statement and a callback per commit; the caller decides how to wake the relay (relay-kick.ts).
import type {
  CompiledQuery,
  DatabaseConnection,
  DatabaseIntrospector,
  Dialect,
  DialectAdapter,
  Driver,
  Kysely,
  QueryCompiler,
  QueryResult,
  TransactionSettings,
} from 'kysely';

/** Matches the statements that append events: Kysely's `insert into "event_log"` and our raw SQL. */
const APPENDS_EVENTS = /\binsert\s+into\s+"?event_log"?[\s(]/i;

class WatchedConnection implements DatabaseConnection {
  inTransaction = false;
  appendedEvents = false;

  constructor(
    readonly inner: DatabaseConnection,
    private readonly onEventsCommitted: () => void,
  ) {}

  async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    const result = await this.inner.executeQuery<R>(query);
    if (APPENDS_EVENTS.test(query.sql)) {
      if (this.inTransaction) this.appendedEvents = true;
      else this.onEventsCommitted();
    }
    return result;
  }

  streamQuery<R>(query: CompiledQuery, chunkSize?: number): AsyncIterableIterator<QueryResult<R>> {
    return this.inner.streamQuery<R>(query, chunkSize);
  }
}

class WatchingDriver implements Driver {
  private readonly watched = new WeakMap<DatabaseConnection, WatchedConnection>();

  constructor(
    private readonly inner: Driver,
    private readonly onEventsCommitted: () => void,
  ) {}

  init(): Promise<void> {
    return this.inner.init();
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    const inner = await this.inner.acquireConnection();
    let connection = this.watched.get(inner);
    if (!connection) {
      connection = new WatchedConnection(inner, this.onEventsCommitted);
      this.watched.set(inner, connection);
    }
    return connection;
  }

  async beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    const c = connection as WatchedConnection;
    await this.inner.beginTransaction(c.inner, settings);
    c.inTransaction = true;
    c.appendedEvents = false;
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    const c = connection as WatchedConnection;
    try {
      await this.inner.commitTransaction(c.inner);
      if (c.appendedEvents) this.onEventsCommitted();
    } finally {
      c.inTransaction = false;
      c.appendedEvents = false;
    }
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    const c = connection as WatchedConnection;
    try {
      await this.inner.rollbackTransaction(c.inner);
    } finally {
      c.inTransaction = false;
      c.appendedEvents = false;
    }
  }

  // A savepoint rolled back may have undone the events: the relay then wakes for nothing, harmlessly.
  async savepoint(connection: DatabaseConnection, name: string, compile: QueryCompiler['compileQuery']) {
    await this.inner.savepoint?.((connection as WatchedConnection).inner, name, compile);
  }

  async rollbackToSavepoint(
    connection: DatabaseConnection,
    name: string,
    compile: QueryCompiler['compileQuery'],
  ) {
    await this.inner.rollbackToSavepoint?.((connection as WatchedConnection).inner, name, compile);
  }

  async releaseSavepoint(
    connection: DatabaseConnection,
    name: string,
    compile: QueryCompiler['compileQuery'],
  ) {
    await this.inner.releaseSavepoint?.((connection as WatchedConnection).inner, name, compile);
  }

  releaseConnection(connection: DatabaseConnection): Promise<void> {
    const c = connection as WatchedConnection;
    // A connection given back mid-transaction (its client broke) must not carry the flag to its next user.
    c.inTransaction = false;
    c.appendedEvents = false;
    return this.inner.releaseConnection(c.inner);
  }

  destroy(): Promise<void> {
    return this.inner.destroy();
  }
}

export class EventCommitDialect implements Dialect {
  constructor(
    private readonly inner: Dialect,
    private readonly onEventsCommitted: () => void,
  ) {}

  createDriver(): Driver {
    return new WatchingDriver(this.inner.createDriver(), this.onEventsCommitted);
  }

  createQueryCompiler(): QueryCompiler {
    return this.inner.createQueryCompiler();
  }

  createAdapter(): DialectAdapter {
    return this.inner.createAdapter();
  }

  // biome-ignore lint/suspicious/noExplicitAny: Kysely's own Dialect signature takes Kysely<any>.
  createIntrospector(db: Kysely<any>): DatabaseIntrospector {
    return this.inner.createIntrospector(db);
  }
}
