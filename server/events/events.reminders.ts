// Event reminders: one delayed BullMQ job per event and start time, which reminds everyone going at once
// (events.reminder-fanout.ts), and sending each participant's reminder exactly once.
//
// The job id carries the start time, so a moved event simply gets a new job: an old job that could not be
// removed (already running) finds the start changed and does nothing, and the new one is never shadowed
// by the old id. Moving an event with 10,000 going is one job removed and one added.
//
// Becoming `going` only makes sure the event's job exists (adding an existing id is a no-op), unless the
// event's job may have run already (its reminder is due within LATE_MS): then the participant gets a job
// of their own (the per-participant job, events.reminder-delivery.ts). Jobs are (un)scheduled after the
// change commits; if the process dies in between, the periodic reconciler (task 'reconcile') schedules
// what is missing. "Sent once" is a row in event_reminders inserted in the same transaction as the
// notification, not the job id: the event's job and a participant's own job may both run, and a retried
// job finds the reminders it sent before.
import { sql } from 'kysely';
import type { Db } from '../db/database.ts';
import type { Deps } from '../deps.ts';
import type { Queues, ReminderJob } from '../jobs/queues.ts';
import type { Logger } from '../lib/logger.ts';
import { sendEventReminder } from './events.reminder-delivery.ts';
import { sendRemindersOfEvent } from './events.reminder-fanout.ts';

type SchedulingDeps = Pick<Deps, 'queues' | 'config' | 'logger'>;

/** The event's job. BullMQ refuses ':' in custom ids; '_' keeps the id readable and deterministic. */
export const eventReminderJobId = (eventId: string, startsAt: Date): string =>
  `reminder_${eventId}_${startsAt.getTime()}`;

/** One participant's own job (who became going when the event's job may have run). */
export const reminderJobId = (eventId: string, userId: string, startsAt: Date): string =>
  `reminder_${eventId}_${userId}_${startsAt.getTime()}`;

/** How long until the reminder is due; 0 when the lead time has already begun. */
export const reminderDelayMs = (startsAt: Date, leadMinutes: number, now = Date.now()): number =>
  Math.max(0, startsAt.getTime() - leadMinutes * 60_000 - now);

/**
 * A participant whose reminder is due sooner than this gets a job of their own: the event's job may have
 * run (or be running) already. The event's job is promoted by the workers' clocks, so this is the clock
 * skew between hosts we tolerate; both jobs running costs nothing (the guard row), one missing costs a
 * reminder until the reconciler's next run.
 */
const LATE_MS = 2_000;

const sendEventJob = (event: { id: string; starts_at: Date }): ReminderJob => ({
  task: 'send-event',
  eventId: event.id,
  startsAt: event.starts_at.toISOString(),
});

/**
 * Makes sure the event's reminder job exists (after a move: the job of the new start). Adding an existing
 * id is a no-op. Failures are logged: the reconciler repairs.
 */
export async function scheduleEventReminders(
  deps: SchedulingDeps,
  event: { id: string; starts_at: Date },
): Promise<void> {
  if (event.starts_at.getTime() <= Date.now()) return;
  try {
    await deps.queues.add('reminders', sendEventJob(event), {
      jobId: eventReminderJobId(event.id, event.starts_at),
      delay: reminderDelayMs(event.starts_at, deps.config.reminderLeadMinutes),
    });
  } catch (error) {
    deps.logger.warn({ err: error, eventId: event.id }, 'reminders not scheduled; the reconciler will');
  }
}

/**
 * For participants who became going: makes sure the event's job exists, or, once that may have run,
 * gives each a job of their own. `minDelayMs` is for callers still inside the transaction that makes
 * them going (a ticket's settlement): a job that ran before that commit would find them not going.
 */
export async function scheduleReminders(
  deps: SchedulingDeps,
  event: { id: string; starts_at: Date },
  userIds: readonly string[],
  minDelayMs = 0,
): Promise<void> {
  if (userIds.length === 0 || event.starts_at.getTime() <= Date.now()) return;
  const delay = reminderDelayMs(event.starts_at, deps.config.reminderLeadMinutes);
  if (delay > LATE_MS + minDelayMs) return scheduleEventReminders(deps, event);
  try {
    await Promise.all(
      userIds.map((userId) =>
        deps.queues.add(
          'reminders',
          { task: 'send', eventId: event.id, userId, startsAt: event.starts_at.toISOString() },
          { jobId: reminderJobId(event.id, userId, event.starts_at), delay: Math.max(minDelayMs, delay) },
        ),
      ),
    );
  } catch (error) {
    deps.logger.warn({ err: error, eventId: event.id }, 'reminders not scheduled; the reconciler will');
  }
}

/**
 * Removes the event's job (moved, cancelled, rejected). Best effort: a stale job that survives (running,
 * or a participant's own) checks the database and does nothing.
 */
export async function unscheduleEventReminders(
  deps: SchedulingDeps,
  event: { id: string; starts_at: Date },
): Promise<void> {
  try {
    await deps.queues.get('reminders').remove(eventReminderJobId(event.id, event.starts_at));
  } catch (error) {
    deps.logger.warn(
      { err: error, eventId: event.id },
      'reminder job not removed; it will find nothing to do',
    );
  }
}

/**
 * Removes leavers' own jobs, if they had any (best effort, as above): one kept would shadow the job of
 * their coming back. The event's job needs nothing: it reminds whoever is going when it runs.
 */
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
  /** reminderChunk: participants per transaction of an event's job (default REMINDER_CHUNK). */
  config: { reminderLeadMinutes: number; publicUrl: URL; reminderChunk?: number };
}

export async function runReminderJob(deps: ReminderDeps, job: ReminderJob): Promise<void> {
  if (job.task === 'reconcile') {
    const scheduled = await reconcileReminders(deps);
    if (scheduled > 0) deps.logger.info({ scheduled }, 'missing reminders scheduled');
    return;
  }
  if (job.task === 'send-event') {
    await sendRemindersOfEvent(deps, job, deps.config.reminderChunk);
    return;
  }
  await sendEventReminder(deps, job);
}

/** How far ahead the reconciler looks: reminders due within a day (later ones are found on later runs). */
const RECONCILE_HORIZON_MS = 24 * 3_600_000;

/**
 * Schedules the event job of every upcoming published event (reminder within the horizon) where someone
 * going has no reminder sent and the event has no pending job: none at all (lost between a commit and its
 * enqueue), or one that has run while a participant's own job was lost — then a catch-up run of the
 * event's job, under another id. Returns the jobs added.
 */
export async function reconcileReminders(deps: ReminderDeps): Promise<number> {
  const lead = deps.config.reminderLeadMinutes;
  const { rows } = await sql<{ id: string; starts_at: Date }>`
    select e.id, e.starts_at from events e
    where e.status = 'published' and e.starts_at > now()
      and e.starts_at <= ${new Date(Date.now() + lead * 60_000 + RECONCILE_HORIZON_MS)}
      and exists (
        select 1 from event_participants p join users u on u.id = p.user_id
        where p.event_id = e.id and p.status = 'going' and u.deleted_at is null
          and not exists (select 1 from event_reminders r where r.event_id = p.event_id and r.user_id = p.user_id))
    order by e.starts_at
    limit 1000`.execute(deps.db);
  const queue = deps.queues.get('reminders');
  let added = 0;
  for (const event of rows) {
    const jobId = eventReminderJobId(event.id, event.starts_at);
    const delay = reminderDelayMs(event.starts_at, lead);
    const existing = await queue.getJob(jobId);
    if (existing) {
      const state = await existing.getState();
      // Still to run: it will remind them. Run, and the reminder not due yet: nobody can be late yet.
      if (state !== 'completed' && state !== 'failed') continue;
      if (delay > 0) continue;
    }
    await deps.queues.add('reminders', sendEventJob(event), {
      jobId: existing ? `${jobId}_catchup_${Date.now()}` : jobId,
      delay,
    });
    added++;
  }
  return added;
}
