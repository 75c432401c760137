// Delivering participants' own reminder jobs, many in one transaction (the reminders worker group-commits
// them). Events' jobs, which remind everyone going at once, are events.reminder-fanout.ts.
//
// Exactly once per participant: the participants' rows are locked (in a fixed order, so concurrent
// batches cannot deadlock each other), the guard row in event_reminders is inserted in the same
// transaction as the notification, and the email job has a deterministic id. A job whose reminder was
// sent before (a retry, a duplicate) finds the guard and only enqueues the email if it is still owed
// (a crash between the commit and the enqueue).
import { type RawBuilder, sql } from 'kysely';
import type { EmailJob } from '../jobs/queues.ts';
import { newId } from '../lib/ids.ts';
import { countAndPushInserted } from '../notifications/notifications.pushes.ts';
import type { ReminderDeps } from './events.reminders.ts';

export interface ReminderSend {
  eventId: string;
  userId: string;
  /** The start the job was scheduled for: a moved event's old job no longer matches and does nothing. */
  startsAt: string;
}

/** 'stale': the event moved, was cancelled or has started, or the participant left. */
export type ReminderOutcome = 'sent' | 'stale';

interface DueRow {
  event_id: string;
  user_id: string;
  starts_at: Date;
  title: string;
  location: string;
  email: string;
  fresh: boolean;
}

export interface DueReminder {
  eventId: string;
  userId: string;
  title: string;
  location: string;
  startsAt: Date;
  email: string;
}

/**
 * The reminder notification's type, title, body, url and dedupe key, from a row `d` with the event's
 * event_id, title, starts_at and location (here and in events.reminder-fanout.ts). Titles (<= 120) and
 * locations (<= 200) are short enough for the notification's limits.
 */
export const reminderNotificationColumns: RawBuilder<unknown> = sql`'event_reminder', 'Reminder: ' || d.title,
  d.title || ' starts at ' || to_char(d.starts_at at time zone 'UTC', 'YYYY-MM-DD HH24:MI') || ' UTC'
    || case when d.location <> '' then ', ' || d.location else '' end || '.',
  '/events/' || d.event_id, 'event_reminder:' || d.event_id`;

export const reminderEmailJobId = (eventId: string, userId: string): string =>
  `reminder-email_${eventId}_${userId}`;

const pairKey = (eventId: string, userId: string) => `${eventId}/${userId}`;
const toDue = (r: DueRow): DueReminder => ({
  eventId: r.event_id,
  userId: r.user_id,
  title: r.title,
  location: r.location,
  startsAt: r.starts_at,
  email: r.email,
});
const whenText = (startsAt: Date) => startsAt.toISOString().replace('T', ' ').slice(0, 16);

/** What a batch's transaction did: each job's outcome, and the emails to enqueue now that it committed. */
export interface CommittedReminders {
  outcomes: ReminderOutcome[];
  owed: DueReminder[];
}

/**
 * Sends each job's reminder if it is still due: the participant going, the event published, the start
 * unchanged and ahead. One outcome per job, in order; one error fails them all (nothing commits).
 */
export async function sendEventReminders(
  deps: ReminderDeps,
  jobs: readonly ReminderSend[],
): Promise<ReminderOutcome[]> {
  const committed = await commitReminders(deps, jobs);
  await queueReminderEmails(deps, committed);
  return committed.outcomes;
}

/** Sends one reminder: sendEventReminders of one job. */
export async function sendEventReminder(deps: ReminderDeps, job: ReminderSend): Promise<ReminderOutcome> {
  const [outcome] = await sendEventReminders(deps, [job]);
  return outcome!;
}

/**
 * The transaction of sendEventReminders: notifications and guards for the due reminders, and the emails
 * owed. Until queueReminderEmails has run for its result, the emails are owed to the jobs' retries.
 */
export async function commitReminders(
  deps: ReminderDeps,
  jobs: readonly ReminderSend[],
): Promise<CommittedReminders> {
  if (jobs.length === 0) return { outcomes: [], owed: [] };
  // A duplicated job (same participant and start) is one reminder.
  const wanted = [
    ...new Map(jobs.map((j) => [`${pairKey(j.eventId, j.userId)}/${Date.parse(j.startsAt)}`, j])).values(),
  ];
  // One statement, one implicit transaction: lock the participants' rows in key order (concurrent
  // batches cannot deadlock each other; a concurrent leave or move waits, or is waited for), keep the due
  // ones, insert their guards, and for the fresh guards the notifications, counted and pushed. A guard that
  // exists already (a retry, a duplicate job) is not fresh: no second notification.
  const { rows } = await sql<DueRow>`
    /* prepare:reminder-batch */
    with wanted as (
      select * from unnest(${wanted.map((j) => j.eventId)}::uuid[], ${wanted.map((j) => j.userId)}::uuid[],
        ${wanted.map((j) => j.startsAt)}::timestamptz[], ${wanted.map(() => newId())}::uuid[])
        as w (event_id, user_id, starts_at, notification_id)
    ), pairs as (
      -- The same participant twice (a moved event's old and new job) is locked once.
      select distinct event_id, user_id from wanted order by event_id, user_id
    ), locked as (
      -- One primary-key lookup and row lock per pair, in the pairs' (key) order: LATERAL makes the
      -- pairs the outer loop, whatever the planner thinks of the tables' sizes.
      select p.* from pairs w cross join lateral (
        select p.event_id, p.user_id, p.status from event_participants p
        where p.event_id = w.event_id and p.user_id = w.user_id
        for update
      ) p
    ), due as (
      select l.event_id, l.user_id, e.starts_at, e.title, e.location, u.email, w.notification_id
      from locked l
      join events e on e.id = l.event_id
      join users u on u.id = l.user_id
      join wanted w on w.event_id = l.event_id and w.user_id = l.user_id
        -- The job's start is an ISO string: milliseconds, like JavaScript's dates.
        and w.starts_at = date_trunc('milliseconds', e.starts_at)
      where e.status = 'published' and l.status = 'going' and e.starts_at > now()
    ), guard as (
      insert into event_reminders (event_id, user_id, starts_at)
      select event_id, user_id, starts_at from due
      on conflict (event_id, user_id) do nothing
      returning event_id, user_id
    ), inserted as (
      insert into notifications (id, user_id, type, title, body, url, dedupe_key)
      select d.notification_id, d.user_id, ${reminderNotificationColumns}
      from due d join guard g on g.event_id = d.event_id and g.user_id = d.user_id
      on conflict (user_id, dedupe_key) where dedupe_key is not null do nothing
      returning *
    ), ${countAndPushInserted('inserted')}
    select d.event_id, d.user_id, d.starts_at, d.title, d.location, d.email, g.user_id is not null as fresh
    from due d left join guard g on g.event_id = d.event_id and g.user_id = d.user_id`.execute(deps.db);
  const due = new Map(rows.map((r) => [pairKey(r.event_id, r.user_id), toDue(r)]));
  const fresh = rows.filter((r) => r.fresh).map(toDue);

  // Sent before: only the email may still be owed. A later statement sees the guard's mark of a
  // concurrent sender (it held the same row locks until its commit, which came before ours).
  const before = rows.filter((r) => !r.fresh);
  let owed = fresh;
  if (before.length > 0) {
    const previous = await sql<{ event_id: string; user_id: string }>`
      select event_id, user_id from event_reminders
      where email_queued_at is null
        and (event_id, user_id) in (select * from unnest(${before.map((r) => r.event_id)}::uuid[],
          ${before.map((r) => r.user_id)}::uuid[]))`.execute(deps.db);
    owed = [...fresh, ...previous.rows.map((p) => due.get(pairKey(p.event_id, p.user_id))!)];
  }

  const outcomes = jobs.map(
    (j): ReminderOutcome =>
      due.get(pairKey(j.eventId, j.userId))?.startsAt.getTime() === Date.parse(j.startsAt) ? 'sent' : 'stale',
  );
  return { outcomes, owed };
}

/**
 * After the commit: enqueue the emails, then mark them queued. A crash before the mark leaves them owed,
 * and the jobs' retries enqueue them (a no-op for those already queued: the job id is deterministic).
 */
export async function queueReminderEmails(deps: ReminderDeps, { owed }: CommittedReminders): Promise<void> {
  if (owed.length === 0) return;
  const emails = owed.map((d) => {
    const link = new URL(`/events/${d.eventId}`, deps.config.publicUrl).toString();
    const data: EmailJob = {
      to: d.email,
      subject: `Reminder: ${d.title}`,
      text: `${d.title} starts at ${whenText(d.startsAt)} UTC${d.location ? ` (${d.location})` : ''}.\n\n${link}\n`,
    };
    // The id makes a second enqueue (a retry after a crash) a no-op while BullMQ keeps the job.
    return { name: 'email', data, opts: { jobId: reminderEmailJobId(d.eventId, d.userId) } };
  });
  await deps.queues.get('email').addBulk(emails);
  // One primary-key probe per reminder (a scalar subquery cannot become a hash join over the whole
  // table, which the planner prefers while it is small), then the rows by their tuple ids.
  await sql`
    /* prepare:reminder-emails-queued */
    update event_reminders set email_queued_at = now()
    where ctid = any(array(
      select (select r.ctid from event_reminders r where r.event_id = o.event_id and r.user_id = o.user_id)
      from unnest(${owed.map((d) => d.eventId)}::uuid[], ${owed.map((d) => d.userId)}::uuid[])
        as o (event_id, user_id)))`.execute(deps.db);
}
