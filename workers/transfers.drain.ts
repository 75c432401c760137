// The wake-up job's work: settle pending transfers straight from the database, in batches, until none
// is left. No BullMQ job per transfer: a transfer costs its share of one transaction, nothing more.
import type { Queues } from '../server/jobs/queues.ts';
import type { Logger } from '../server/lib/logger.ts';
import { ensureOwnSettleJob, wakeSettlement } from '../server/wallet/wallet.jobs.ts';
import {
  PendingBatchError,
  type SettlementDeps,
  settleNextPending,
} from '../server/wallet/wallet.settlement.ts';

export interface DrainOptions {
  /** Transfers per transaction (one commit for many, as ledgers built for speed do). */
  batch: number;
  /**
   * Transactions in flight once a backlog shows. Two overlap one batch's round trips and JavaScript
   * with the other's work in PostgreSQL; they only wait on each other where they share accounts.
   */
  lanes: number;
  /** A run hands over to a fresh wake-up after this long, so a worker's shutdown never waits on it. */
  maxRunMs: number;
}

export const DRAIN_DEFAULTS: DrainOptions = { batch: 400, lanes: 2, maxRunMs: 5_000 };

/** How long a transfer whose batch failed is left to its own job before the drain tries it again. */
const ISOLATED_FOR_MS = 10 * 60_000;

export interface DrainDeps {
  settlement: SettlementDeps;
  queues: Queues;
  logger: Logger;
}

export class PendingDrain {
  /** Transfers handed to a job of their own after their batch failed → until when they are left to it. */
  private readonly isolated = new Map<string, number>();

  private readonly deps: DrainDeps;
  private readonly options: DrainOptions = DRAIN_DEFAULTS;

  constructor(deps: DrainDeps, options: DrainOptions = DRAIN_DEFAULTS) {
    this.deps = deps;
    this.options = options;
  }

  /** Settles pending transfers until none is left (or the run's time is up). Returns how many. */
  async run(): Promise<number> {
    const deadline = Date.now() + this.options.maxRunMs;
    // One batch first: under light load that is all there is, and no second lane looks for nothing.
    const first = await this.nextBatch();
    if (first < this.options.batch) return first;
    const lanes = Array.from({ length: this.options.lanes }, () => this.lane(deadline));
    const settled = first + (await Promise.all(lanes)).reduce((a, b) => a + b, 0);
    return settled;
  }

  private async lane(deadline: number): Promise<number> {
    let settled = 0;
    for (;;) {
      if (Date.now() > deadline) {
        // Still a backlog: a new wake-up (kept while this job is active) carries on after this one.
        await wakeSettlement(this.deps.queues);
        return settled;
      }
      const taken = await this.nextBatch();
      settled += taken;
      // A short batch: nothing more is pending, or the rest is locked by another settler that owns it.
      if (taken < this.options.batch) return settled;
    }
  }

  /** One transaction's worth. Returns how many transfers it took (settled, or isolated if it failed). */
  private async nextBatch(): Promise<number> {
    try {
      const batch = await settleNextPending(this.deps.settlement, this.options.batch, this.excluded());
      return batch.ids.length;
    } catch (error) {
      // Failed before taking any transfer (the database is away…): the job fails, a later wake-up retries.
      if (!(error instanceof PendingBatchError)) throw error;
      await this.isolate(error);
      return error.ids.length;
    }
  }

  /** Each transfer of a failed batch is settled alone by a job of its own, with the queue's retries. */
  private async isolate(error: PendingBatchError): Promise<void> {
    this.deps.logger.warn(
      { err: error.cause, transfers: error.ids.length },
      'settlement batch failed; its transfers settle one by one',
    );
    const until = Date.now() + ISOLATED_FOR_MS;
    for (const id of error.ids) {
      this.isolated.set(id, until);
      await ensureOwnSettleJob(this.deps.queues, id);
    }
  }

  private excluded(): string[] {
    const now = Date.now();
    for (const [id, until] of this.isolated) if (until <= now) this.isolated.delete(id);
    return [...this.isolated.keys()];
  }
}
