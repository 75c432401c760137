// Event reminders: one delayed BullMQ job per `going` participant, and sending each exactly once.
//
// The job id carries the start time, so a moved event simply gets new jobs: an old job that could not be
// removed (already running) finds the start changed and does nothing, and the new one is never shadowed
// by the old id. Jobs are (un)scheduled after the change commits; if the process dies in between, the
// periodic reconciler (task 'reconcile') schedules what is missing. "Sent once" is a row in
// event_reminders inserted in the same transaction as the notification, not the job id
// (events.reminder-delivery.ts, where the worker sends them in batches).
import { sql } from 'kysely';
import type { Db } from '../db/database.ts';
import type { Deps } from '../deps.ts';
import type { Queues, ReminderJob } from '../jobs/queues.ts';
import type { Logger } from '../lib/logger.ts';
import { sendEventReminder } from './events.reminder-delivery.ts';

type SchedulingDeps = Pick<Deps, 'queues' | 'config' | 'logger'>;

/** BullMQ refuses ':' in custom ids; '_' keeps the id readable and deterministic. */
export const reminderJobId = (eventId: string, userId: string, startsAt: Date): string =>
  `reminder_${eventId}_${userId}_${startsAt.getTime()}`;

/** How long until the reminder is due; 0 when the lead time has already begun. */
export const reminderDelayMs = (startsAt: Date, leadMinutes: number, now = Date.now()): number =>
  Math.max(0, startsAt.getTime() - leadMinutes * 60_000 - now);

/**
 * (Re)schedules reminders; adding an existing job id is a no-op. Failures are logged: the reconciler repairs.
 * `minDelayMs` is for callers still inside the transaction that makes the participant going (a ticket's
 * settlement): a job that ran before that commit would find them not going and end, and its kept id would
 * hide the reminder from the reconciler.
 */
export async function scheduleReminders(
  deps: SchedulingDeps,
  event: { id: string; starts_at: Date },
  userIds: readonly string[],
  minDelayMs = 0,
): Promise<void> {
  if (userIds.length === 0 || event.starts_at.getTime() <= Date.now()) return;
  const delay = Math.max(minDelayMs, reminderDelayMs(event.starts_at, deps.config.reminderLeadMinutes));
  try {
    await Promise.all(
      userIds.map((userId) =>
        deps.queues.add(
          'reminders',
          { task: 'send', eventId: event.id, userId, startsAt: event.starts_at.toISOString() },
          { jobId: reminderJobId(event.id, userId, event.starts_at), delay },
        ),
      ),
    );
  } catch (error) {
    deps.logger.warn({ err: error, eventId: event.id }, 'reminders not scheduled; the reconciler will');
  }
}

/** Removes scheduled reminders (best effort: a stale job that survives checks the database and does nothing). */
export async function unscheduleReminders(
  deps: SchedulingDeps,
  event: { id: string; starts_at: Date },
  userIds: readonly string[],
): Promise<void> {
  if (userIds.length === 0) return;
  const queue = deps.queues.get('reminders');
  try {
    await Promise.all(
      userIds.map((userId) => queue.remove(reminderJobId(event.id, userId, event.starts_at))),
    );
  } catch (error) {
    deps.logger.warn(
      { err: error, eventId: event.id },
      'reminders not removed; they will find nothing to do',
    );
  }
}

export interface ReminderDeps {
  db: Db;
  queues: Queues;
  logger: Logger;
  config: { reminderLeadMinutes: number; publicUrl: URL };
}

export async function runReminderJob(deps: ReminderDeps, job: ReminderJob): Promise<void> {
  if (job.task === 'reconcile') {
    const scheduled = await reconcileReminders(deps);
    if (scheduled > 0) deps.logger.info({ scheduled }, 'missing reminders scheduled');
    return;
  }
  await sendEventReminder(deps, job);
}

/** How far ahead the reconciler looks: reminders due within a day (later ones are found on later runs). */
const RECONCILE_HORIZON_MS = 24 * 3_600_000;

/**
 * Schedules the reminder of every `going` participant of an upcoming published event that has none sent,
 * for events whose reminder falls within the horizon. Existing job ids make this idempotent.
 */
export async function reconcileReminders(deps: ReminderDeps): Promise<number> {
  const lead = deps.config.reminderLeadMinutes;
  const rows = await deps.db
    .selectFrom('event_participants as p')
    .innerJoin('events as e', 'e.id', 'p.event_id')
    .select(['e.id', 'e.starts_at', 'p.user_id'])
    .where('e.status', '=', 'published')
    .where('p.status', '=', 'going')
    .where('e.starts_at', '>', new Date())
    .where('e.starts_at', '<=', new Date(Date.now() + lead * 60_000 + RECONCILE_HORIZON_MS))
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('event_reminders as r')
            .select(sql`1`.as('one'))
            .whereRef('r.event_id', '=', 'p.event_id')
            .whereRef('r.user_id', '=', 'p.user_id'),
        ),
      ),
    )
    .limit(10_000)
    .execute();
  const queue = deps.queues.get('reminders');
  let added = 0;
  for (const row of rows) {
    const jobId = reminderJobId(row.id, row.user_id, row.starts_at);
    if (await queue.getJob(jobId)) continue;
    await deps.queues.add(
      'reminders',
      { task: 'send', eventId: row.id, userId: row.user_id, startsAt: row.starts_at.toISOString() },
      { jobId, delay: reminderDelayMs(row.starts_at, lead) },
    );
    added++;
  }
  return added;
}
