// Event reminders worker: sends due reminders (the rules live in server/events/events.reminders.ts) and
// periodically schedules any that a crash between commit and enqueue left out.

import { type ReminderDeps, runReminderJob } from '../server/events/events.reminders.ts';
import type { ReminderJob } from '../server/jobs/queues.ts';

export const createReminderHandler =
  (deps: ReminderDeps) =>
  (job: ReminderJob): Promise<void> =>
    runReminderJob(deps, job);

/** Repeating schedules, upserted at every worker start (idempotent across workers). */
export const reminderSchedules: ReadonlyArray<{ id: string; everyMs: number; job: ReminderJob }> = [
  { id: 'reconcile-reminders', everyMs: 5 * 60_000, job: { task: 'reconcile' } },
];
