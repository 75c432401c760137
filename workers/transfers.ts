// Transfer settlement: the wake-up job drains pending transfers from the database in batches
// (transfers.drain.ts); a transfer whose batch failed settles alone in a job of its own; the sweeper
// wakes settlement for transfers left pending (a lost wake-up, a crash between commit and enqueue).
import type { Job } from 'bullmq';
import type { Db } from '../server/db/database.ts';
import type { Queues, TransferJob } from '../server/jobs/queues.ts';
import type { Logger } from '../server/lib/logger.ts';
import type { MediaUrls } from '../server/media/media.objects.ts';
import { wakeSettlement } from '../server/wallet/wallet.jobs.ts';
import { listStalePending } from '../server/wallet/wallet.repository.ts';
import { type SettlementHooks, settleTransfers } from '../server/wallet/wallet.settlement.ts';
import { PendingDrain } from './transfers.drain.ts';

export const SWEEP_EVERY_MS = 2_000;
/** Older than this and still pending: its wake-up may have been lost. */
export const STALE_AFTER_MS = 5_000;

export interface TransferWorkerDeps {
  db: Db;
  queues: Queues;
  logger: Logger;
  currency: string;
  hooks: SettlementHooks;
  /** For the transfers' parties' avatar URLs (`mediaStoreOf(config)`). */
  urls: MediaUrls;
}

/** Wakes settlement if any transfer has been pending too long. Returns whether it did. */
export async function sweepPendingTransfers(deps: TransferWorkerDeps): Promise<boolean> {
  const stale = await listStalePending(deps.db, STALE_AFTER_MS, 1);
  if (stale.length === 0) return false;
  // Deduplicated: a no-op while a wake-up waits. Transfers isolated after a failed batch are in jobs of
  // their own, which the drain restarts if they gave up (see PendingDrain.isolate).
  await wakeSettlement(deps.queues);
  deps.logger.debug({ oldest: stale[0] }, 'sweeper woke settlement for stale pending transfers');
  return true;
}

export function createTransferHandler(
  deps: TransferWorkerDeps,
): (payload: TransferJob, job: Job) => Promise<void> {
  const settlement = { db: deps.db, currency: deps.currency, hooks: deps.hooks, urls: deps.urls };
  const drain = new PendingDrain({ settlement, queues: deps.queues, logger: deps.logger });
  return async (payload) => {
    switch (payload.task) {
      case 'settle-pending':
        await drain.run();
        return;
      case 'settle':
        // Alone, so that one poisoned transfer fails only its own job.
        await settleTransfers(settlement, [payload.transferId]);
        return;
      case 'sweep':
        await sweepPendingTransfers(deps);
        return;
    }
  };
}

/** Repeating schedules of the transfers queue, upserted at every worker start (idempotent across workers). */
export const transferSchedules: ReadonlyArray<{ id: string; everyMs: number; job: TransferJob }> = [
  { id: 'sweep-pending-transfers', everyMs: SWEEP_EVERY_MS, job: { task: 'sweep' } },
];
