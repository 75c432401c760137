// How much work waits in each queue: read from BullMQ on demand (admin stats, metrics scrapes).
import { QUEUE_NAMES, type QueueName, type Queues } from './queues.ts';

export interface QueueDepth {
  waiting: number;
  active: number;
  delayed: number;
  failed: number;
}

export type QueueDepths = Record<QueueName, QueueDepth>;

const READ_TIMEOUT_MS = 2_000;

/** Counts per queue; prioritized jobs are waiting too (BullMQ keeps them in a set of their own). */
export async function queueDepths(queues: Queues): Promise<QueueDepths> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('queue depths: Redis did not answer')), READ_TIMEOUT_MS);
  });
  try {
    const entries = await Promise.race([
      Promise.all(
        QUEUE_NAMES.map(async (name) => {
          const c = await queues
            .get(name)
            .getJobCounts('waiting', 'prioritized', 'active', 'delayed', 'failed');
          const depth: QueueDepth = {
            waiting: (c.waiting ?? 0) + (c.prioritized ?? 0),
            active: c.active ?? 0,
            delayed: c.delayed ?? 0,
            failed: c.failed ?? 0,
          };
          return [name, depth] as const;
        }),
      ),
      timeout,
    ]);
    return Object.fromEntries(entries) as QueueDepths;
  } finally {
    clearTimeout(timer);
  }
}
