// Transfer settlement: jobs (id = transfer id) gathered into group commits, and the sweeper that
// re-enqueues pending transfers whose job was lost (a crash between commit and enqueue, a long outage).
import type { Job } from 'bullmq';
import type { Db } from '../server/db/database.ts';
import type { Queues, TransferJob } from '../server/jobs/queues.ts';
import type { Logger } from '../server/lib/logger.ts';
import { listStalePending } from '../server/wallet/wallet.repository.ts';
import { type SettlementHooks, settleTransfers } from '../server/wallet/wallet.settlement.ts';

export const SWEEP_EVERY_MS = 2_000;
/** Older than this and still pending: make sure a job exists for it. */
export const STALE_AFTER_MS = 5_000;
const SWEEP_LIMIT = 500;
const MAX_BATCH = 100;

export interface TransferWorkerDeps {
  db: Db;
  queues: Queues;
  logger: Logger;
  currency: string;
  hooks: SettlementHooks;
}

interface Waiter {
  id: string;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit: while one settlement transaction runs, the jobs that arrive wait and go together in
 * the next. Under light load a job settles alone at once; under heavy load one commit settles many.
 * Each job resolves only after the commit that settled its transfer.
 */
export class SettlementBatcher {
  private waiting: Waiter[] = [];
  private running = false;

  constructor(
    private readonly settle: (ids: string[]) => Promise<unknown>,
    private readonly maxBatch = MAX_BATCH,
  ) {}

  submit(id: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ id, resolve, reject });
      this.flush();
    });
  }

  private flush(): void {
    if (this.running || this.waiting.length === 0) return;
    this.running = true;
    const batch = this.waiting.splice(0, this.maxBatch);
    this.settle(batch.map((w) => w.id))
      .then(
        () => {
          for (const w of batch) w.resolve();
        },
        (error: unknown) => {
          for (const w of batch) w.reject(error);
        },
      )
      .finally(() => {
        this.running = false;
        this.flush();
      });
  }
}

/** Makes sure every stale pending transfer has a job that will run. Returns how many were (re)queued. */
export async function sweepPendingTransfers(deps: TransferWorkerDeps): Promise<number> {
  const ids = await listStalePending(deps.db, STALE_AFTER_MS, SWEEP_LIMIT);
  const queue = deps.queues.get('transfers');
  let requeued = 0;
  for (const transferId of ids) {
    const job = await queue.getJob(transferId);
    const state = job ? await job.getState() : 'unknown';
    if (job && (state === 'failed' || state === 'completed')) {
      // Retries exhausted (or a job that ran before its transfer committed): run it again, afresh.
      await job.retry(state, { resetAttemptsMade: true, resetAttemptsStarted: true }).catch(() => {});
      requeued++;
    } else if (!job || state === 'unknown') {
      await deps.queues.add('transfers', { task: 'settle', transferId }, { jobId: transferId });
      requeued++;
    }
    // waiting, delayed, active: it will run (an active job of a dead worker comes back as stalled).
  }
  if (requeued > 0) deps.logger.info({ requeued }, 'sweeper re-enqueued pending transfers');
  return requeued;
}

export function createTransferHandler(
  deps: TransferWorkerDeps,
): (payload: TransferJob, job: Job) => Promise<void> {
  const settle = (ids: string[]) =>
    settleTransfers({ db: deps.db, currency: deps.currency, hooks: deps.hooks }, ids);
  const batcher = new SettlementBatcher(settle);
  return async (payload, job) => {
    if (payload.task === 'sweep') {
      await sweepPendingTransfers(deps);
      return;
    }
    // A job that failed before settles alone, so one poisoned transfer cannot keep failing a whole batch.
    if (job.attemptsMade > 0) await settle([payload.transferId]);
    else await batcher.submit(payload.transferId);
  };
}

/** Repeating schedules of the transfers queue, upserted at every worker start (idempotent across workers). */
export const transferSchedules: ReadonlyArray<{ id: string; everyMs: number; job: TransferJob }> = [
  { id: 'sweep-pending-transfers', everyMs: SWEEP_EVERY_MS, job: { task: 'sweep' } },
];
