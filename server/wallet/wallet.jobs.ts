// The wallet's jobs on the `transfers` queue. Settlement is driven from the database: one deduplicated
// wake-up job settles whatever is pending, in batches, so a transfer costs no BullMQ job of its own.
// A transfer gets a job of its own (job id = transfer id) only when a batch holding it failed: it is
// then settled alone, with the queue's retries, so one poisoned transfer cannot fail every batch.
import type { JobsOptions } from 'bullmq';
import type { Queues } from '../jobs/queues.ts';

const WAKE_UP_ID = 'settle-pending';

/**
 * At most one wake-up waits and one runs, across every worker: while one runs, a new one is kept and
 * started when it finishes, so a transfer committed just after the running drain's last look is not
 * missed. It is not retried (a new transfer or the sweeper wakes settlement again), so it never sits
 * in a backoff while transfers wait.
 */
const wakeUpOptions: JobsOptions = {
  deduplication: { id: WAKE_UP_ID, keepLastIfActive: true },
  attempts: 1,
  removeOnComplete: { count: 100 },
  removeOnFail: { count: 100 },
};

/** Makes sure settlement runs soon. Cheap when it already does (Redis answers "deduplicated"). */
export async function wakeSettlement(queues: Queues): Promise<void> {
  await queues.add('transfers', { task: 'settle-pending' }, wakeUpOptions);
}

/**
 * Gives a transfer a settlement job of its own, or restarts the one it has if that one gave up (failed
 * after its retries, or completed before the transfer's commit). Returns whether a job was (re)started.
 */
export async function ensureOwnSettleJob(queues: Queues, transferId: string): Promise<boolean> {
  const queue = queues.get('transfers');
  const job = await queue.getJob(transferId);
  const state = job ? await job.getState() : 'unknown';
  if (job && (state === 'failed' || state === 'completed')) {
    await job.retry(state, { resetAttemptsMade: true, resetAttemptsStarted: true }).catch(() => {});
    return true;
  }
  if (!job || state === 'unknown') {
    await queues.add('transfers', { task: 'settle', transferId }, { jobId: transferId });
    return true;
  }
  // waiting, delayed, active: it will run (an active job of a dead worker comes back as stalled).
  return false;
}
