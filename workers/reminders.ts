// Event reminders worker: sends due reminders (the rules live in server/events/events.reminders.ts and
// events.reminder-delivery.ts) and periodically schedules any that a crash between commit and enqueue
// left out.
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

/**
 * Jobs in flight at once. Many in flight feed the group commit below: the jobs that arrive while one
 * batch's transaction runs go together in the next. The jobs bench runs its bare-BullMQ baseline at
 * this same concurrency.
 */
export const REMINDERS_CONCURRENCY = 100;

export function createReminderHandler(deps: ReminderDeps): (payload: ReminderJob, job: Job) => Promise<void> {
  const batcher = new GroupCommit((jobs: ReminderSend[]) => commitReminders(deps, jobs), {
    maxBatch: REMINDERS_CONCURRENCY,
    gather: true,
    // The emails of one batch are enqueued while the next batch's transaction runs.
    afterCommit: (committed) => queueReminderEmails(deps, committed),
  });
  return async (payload, job) => {
    if (payload.task === 'reconcile') {
      await runReminderJob(deps, payload);
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
