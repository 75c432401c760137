// Event reminders worker: runs events' reminder jobs (everyone going at once), participants' own jobs
// (group-committed), and periodically schedules any that a crash between commit and enqueue left out.
// The rules live in server/events/events.reminders.ts, events.reminder-fanout.ts and
// events.reminder-delivery.ts.
import type { Job } from 'bullmq';
import {
  commitReminders,
  queueReminderEmails,
  type ReminderSend,
  sendEventReminders,
} from '../server/events/events.reminder-delivery.ts';
import { type ReminderDeps, runReminderJob } from '../server/events/events.reminders.ts';
import type { ReminderJob } from '../server/jobs/queues.ts';
import { GroupCommit } from './group-commit.ts';

/** Participants' own reminders per transaction. */
const BATCH = 100;
/**
 * Jobs in flight at once: two batches' worth, so that BullMQ hands over the next batch's jobs while
 * one commits (with only one batch in flight, fetching and committing took turns). The reminders bench
 * runs its bare-BullMQ baseline at this same concurrency.
 */
export const REMINDERS_CONCURRENCY = 2 * BATCH;

/**
 * Events' jobs run at once per process. Each holds a pool connection through a stream of big statements
 * (thousands of rows); more of them would take the whole pool (10) from participants' own jobs and the
 * reconciler while adding nothing: PostgreSQL is the bottleneck either way (bench `reminders`: 3 at once
 * or 10, the same rate and CPU per reminder).
 */
export const EVENT_FANOUTS = 3;

/** A counting semaphore: the task waits for one of `size` slots. */
function slots(size: number) {
  let free = size;
  const waiting: Array<() => void> = [];
  return async <T>(task: () => Promise<T>): Promise<T> => {
    if (free > 0) free--;
    else await new Promise<void>((resolve) => waiting.push(resolve));
    try {
      return await task();
    } finally {
      const next = waiting.shift();
      if (next) next();
      else free++;
    }
  };
}

export function createReminderHandler(deps: ReminderDeps): (payload: ReminderJob, job: Job) => Promise<void> {
  const fanout = slots(EVENT_FANOUTS);
  const batcher = new GroupCommit((jobs: ReminderSend[]) => commitReminders(deps, jobs), {
    maxBatch: BATCH,
    // Two commits at once cannot deadlock: each locks its participants' rows in key order.
    lanes: 2,
    gather: true,
    // The emails of one batch are enqueued while the next batch's transaction runs.
    afterCommit: (committed) => queueReminderEmails(deps, committed),
  });
  return async (payload, job) => {
    if (payload.task === 'reconcile') {
      await runReminderJob(deps, payload);
      return;
    }
    // An event's job commits its own chunks (events.reminder-fanout.ts).
    if (payload.task === 'send-event') {
      await fanout(() => runReminderJob(deps, payload));
      return;
    }
    const reminder: ReminderSend = {
      eventId: payload.eventId,
      userId: payload.userId,
      startsAt: payload.startsAt,
    };
    // A job that failed before runs alone, so one poisoned job cannot keep failing whole batches.
    if (job.attemptsMade > 0) await sendEventReminders(deps, [reminder]);
    else await batcher.submit(reminder);
  };
}

/** Repeating schedules, upserted at every worker start (idempotent across workers). */
export const reminderSchedules: ReadonlyArray<{ id: string; everyMs: number; job: ReminderJob }> = [
  { id: 'reconcile-reminders', everyMs: 5 * 60_000, job: { task: 'reconcile' } },
];
