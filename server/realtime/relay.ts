// The relay: one leader per database (advisory lock on its own connection) gives new events their
// `seq` in commit order and emits them to their rooms. Any instance may lead; the others stand by.
// Writers wake the leader after they commit (relay-waker.ts); a short poll covers a lost wake-up and
// writers that have no waker (psql, an operator's script).
import type { AnyPush } from '@plaza/client/protocol';
import pg from 'pg';
import { clientConfig } from '../db/database.ts';
import type { Logger } from '../lib/logger.ts';
import { isRedacted } from './event-log.ts';

/** pg_advisory_lock key of the relay; advisory locks are per database, so test databases don't collide. */
const RELAY_LOCK_KEY = 7_011_972_650; // "plaza" relay
/** Relay queries are small; one that takes this long is talking to a database that is gone. */
const QUERY_TIMEOUT_MS = 5_000;

interface RelayedRow {
  seq: number;
  topic: string;
  type: string;
  rooms: string[];
  data: unknown;
  created_at: Date;
  actor_id: string | null;
}

type BatchOutcome = 'more' | 'empty' | 'blocked';

export interface RelayOptions {
  databaseUrl: string;
  logger: Logger;
  /**
   * Emit one push to the union of its rooms (through the Socket.IO adapter), except to the sockets that
   * hide `actorId` (the user whose content it carries; null: nobody's).
   */
  emit: (rooms: string[], push: AnyPush, actorId: string | null) => void;
  /** False while the transport is down: events then wait in the log instead of piling up in memory. */
  canEmit: () => boolean;
  onLeadershipChange?: (leading: boolean) => void;
  onEmitted?: (seq: number, rows: number, lagMs: number) => void;
  /**
   * Resolves once everything emitted so far is in the transport's hands (Redis has it), rejects or
   * times out when that cannot be known. A batch counts as emitted (recorded as emitted_seq, which a
   * new leader does not re-emit) only after this; without it, as soon as `emit` returned.
   */
  confirmEmitted?: () => Promise<void>;
  batchSize?: number;
  /** The fallback poll: how late an event without a wake-up (a lost one, a writer without a waker) leaves. */
  pollIntervalMs?: number;
  standbyIntervalMs?: number;
}

// Assigns the next seqs to the oldest unrelayed rows in one statement (one implicit transaction).
// Rows become visible only at commit, so a late commit gets a seq after everything relayed before it.
// The same statement records how far the previous batch was emitted ($2), so a batch costs one round
// trip, not two; the loop ends with an empty batch, which records the last one.
const ASSIGN_SQL = `
  with batch as (
    select id, row_number() over (order by id) as n
    from (select id from event_log where seq is null order by id limit $1) b
  ), counter as (
    update relay_state set assigned_seq = assigned_seq + (select count(*) from batch),
      emitted_seq = greatest(emitted_seq, $2)
    where exists (select 1 from batch) or emitted_seq < $2
    returning assigned_seq - (select count(*) from batch) as base
  )
  update event_log e set seq = counter.base + batch.n
  from batch, counter where e.id = batch.id
  returning e.seq, e.topic, e.type, e.rooms, e.data, e.created_at, e.actor_id`;

const UNEMITTED_SQL = `
  select seq, topic, type, rooms, data, created_at, actor_id from event_log
  where seq > (select emitted_seq from relay_state) order by seq limit $1`;

export class Relay {
  private client: pg.Client | null = null;
  private leading = false;
  private stopped = false;
  private timer: NodeJS.Timeout | null = null;
  private draining: Promise<void> | null = null;
  private drainAgain = false;
  /** Whatever a previous leader assigned but may not have emitted is re-emitted once per leadership. */
  private caughtUp = false;
  /** The newest seq this leader emitted; the next assignment records it as emitted_seq. */
  private lastEmitted = 0;
  /** Bumped with every change of leadership: a confirmation from an earlier one records nothing. */
  private term = 0;
  private readonly batchSize: number;
  private readonly pollIntervalMs: number;
  private readonly standbyIntervalMs: number;

  private readonly options: RelayOptions;

  constructor(options: RelayOptions) {
    this.options = options;
    this.batchSize = options.batchSize ?? 500;
    this.pollIntervalMs = options.pollIntervalMs ?? 250;
    this.standbyIntervalMs = options.standbyIntervalMs ?? 500;
  }

  get isLeader(): boolean {
    return this.leading;
  }

  start(): void {
    this.stopped = false;
    void this.tryToLead();
  }

  /** Stops relaying and releases leadership at once, so another instance takes over without waiting. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.draining?.catch(() => {});
    const client = this.client;
    this.client = null;
    this.setLeading(false);
    if (client) await client.end().catch(() => {});
  }

  private schedule(ms: number, fn: () => void): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(fn, ms);
    this.timer.unref();
  }

  private setLeading(leading: boolean): void {
    if (this.leading === leading) return;
    this.leading = leading;
    this.caughtUp = false;
    this.lastEmitted = 0;
    this.term++;
    this.options.logger.info({ leading }, leading ? 'relay: leading' : 'relay: standing by');
    this.options.onLeadershipChange?.(leading);
  }

  private async tryToLead(): Promise<void> {
    if (this.stopped) return;
    try {
      const client = this.client ?? (await this.connect());
      const { rows } = await client.query<{ locked: boolean }>('select pg_try_advisory_lock($1) as locked', [
        RELAY_LOCK_KEY,
      ]);
      if (this.stopped) return;
      if (!rows[0]?.locked) {
        this.schedule(this.standbyIntervalMs, () => void this.tryToLead());
        return;
      }
      this.setLeading(true);
      this.kick();
    } catch (error) {
      this.lostConnection(error);
    }
  }

  private async connect(): Promise<pg.Client> {
    const client = new pg.Client({
      ...clientConfig(this.options.databaseUrl, 'plaza-relay'),
      keepAlive: true,
      // A database gone silent (partition) fails the query, so the relay stands down and retries
      // instead of leading forever on a connection that will never answer.
      query_timeout: QUERY_TIMEOUT_MS,
    });
    client.on('error', (error) => this.lostConnection(error));
    this.client = client;
    await client.connect();
    return client;
  }

  private lostConnection(error: unknown): void {
    if (this.stopped) return;
    this.options.logger.warn({ err: error }, 'relay: database connection lost');
    const client = this.client;
    this.client = null;
    this.setLeading(false);
    client?.end().catch(() => {});
    this.schedule(this.standbyIntervalMs, () => void this.tryToLead());
  }

  /** Events were committed: drain now (a no-op unless leading). */
  wake(): void {
    this.kick();
  }

  /** Wakes the drain loop; coalesces wake-ups that arrive while it runs. */
  private kick(): void {
    if (!this.leading || this.stopped) return;
    if (this.draining) {
      this.drainAgain = true;
      return;
    }
    this.draining = this.drainLoop().finally(() => {
      this.draining = null;
    });
  }

  private async drainLoop(): Promise<void> {
    try {
      do {
        this.drainAgain = false;
        if (!this.caughtUp) {
          let outcome: BatchOutcome = 'more';
          while (this.leading && outcome === 'more') {
            outcome = await this.emitBatch(UNEMITTED_SQL, [this.batchSize]);
          }
          // Blocked (transport down) is not caught up: the next drain tries again.
          this.caughtUp = this.leading && outcome === 'empty';
          if (!this.caughtUp) break;
        }
        // Until a batch comes back empty: that last statement also records the previous one as emitted.
        while (
          this.leading &&
          (await this.emitBatch(ASSIGN_SQL, [this.batchSize, this.lastEmitted])) === 'more'
        ) {}
      } while (this.drainAgain && this.leading);
    } catch (error) {
      this.lostConnection(error);
      return;
    }
    // The poll is a safety net for a missed wake-up and for a transport that was down.
    this.schedule(this.pollIntervalMs, () => this.kick());
  }

  /** Emits one batch: 'more' when it held anything (there may be more), 'blocked' when it could not run. */
  private async emitBatch(query: string, params: unknown[]): Promise<BatchOutcome> {
    const client = this.client;
    if (!client || !this.options.canEmit()) return 'blocked';
    // Named: parsed and planned once per leadership, not on every batch.
    const name = query === ASSIGN_SQL ? 'relay-assign' : 'relay-unemitted';
    const { rows } = await client.query<RelayedRow>({ name, text: query, values: params });
    if (rows.length === 0) return 'empty';
    rows.sort((a, b) => a.seq - b.seq);
    for (const row of rows) {
      // Deleted content, blanked before it was relayed: the seq is used, nothing is left to send.
      if (isRedacted(row.data)) continue;
      this.options.emit(
        row.rooms,
        {
          seq: row.seq,
          topic: row.topic,
          type: row.type,
          at: row.created_at.toISOString(),
          data: row.data,
        } as AnyPush,
        row.actor_id,
      );
    }
    const last = rows[rows.length - 1]!;
    const lagMs = Date.now() - rows[0]!.created_at.getTime();
    if (query === UNEMITTED_SQL) {
      // Catch-up is rare (a new leader): record it at once, it reads by emitted_seq.
      await this.options.confirmEmitted?.();
      await client.query('update relay_state set emitted_seq = $1 where emitted_seq < $1', [last.seq]);
      this.recordEmitted(last.seq, rows.length, lagMs);
    } else {
      this.confirm(last.seq, rows.length, lagMs);
    }
    return 'more';
  }

  /**
   * Records the batch as emitted once the transport confirms it, without holding up the next batch:
   * the next assignment records what has been confirmed by then. A failed confirmation steps down, so
   * the next leader re-emits from what was recorded (at least once; clients drop duplicates by seq).
   */
  private confirm(seq: number, rows: number, lagMs: number): void {
    const { confirmEmitted } = this.options;
    if (!confirmEmitted) {
      this.recordEmitted(seq, rows, lagMs);
      return;
    }
    const term = this.term;
    confirmEmitted().then(
      () => {
        if (term !== this.term) return;
        this.recordEmitted(seq, rows, lagMs);
        // An idle loop has nothing left to assign that would carry this to the database: run once more.
        if (!this.draining) this.kick();
      },
      (error: unknown) => {
        if (term === this.term) this.lostConnection(error);
      },
    );
  }

  private recordEmitted(seq: number, rows: number, lagMs: number): void {
    this.lastEmitted = Math.max(this.lastEmitted, seq);
    this.options.onEmitted?.(seq, rows, lagMs);
  }
}
