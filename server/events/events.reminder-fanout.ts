// An event's reminder job: everyone going is reminded by a few set-based statements, not a job each.
//
// The participants go in chunks of REMINDER_CHUNK, in user id order (keyset), each chunk one transaction: the
// event row is locked `for share` (a concurrent move, cancel, join or leave waits for the chunk, or the
// chunk for it, and then sees it), then one statement inserts the chunk's guards in event_reminders and,
// for the fresh ones, the notifications, the unread counters (locked in user id order) and the pushes.
// After each commit the chunk's emails are enqueued in bulk and marked queued (queueReminderEmails).
//
// Exactly once: a retry (a crash anywhere, the job run twice, a participant's own job at the same time)
// finds the guards of what committed, notifies nobody twice, and only enqueues emails still owed; the
// email job id is deterministic, so a second enqueue is a no-op while BullMQ keeps the first (the email
// queue keeps completed jobs an hour, the last 5,000). Someone who becomes going behind the chunk's
// cursor while the job runs gets their own job (events.reminders.ts, LATE_MS).
import { sql } from 'kysely';
import { newId } from '../lib/ids.ts';
import { countAndPushInserted } from '../notifications/notifications.pushes.ts';
import {
  type DueReminder,
  queueReminderEmails,
  type ReminderOutcome,
  reminderNotificationColumns,
} from './events.reminder-delivery.ts';
import type { ReminderDeps } from './events.reminders.ts';

/** Participants per transaction: one statement's notifications and pushes, one addBulk of emails. */
export const REMINDER_CHUNK = 5_000;

const BEFORE_ALL_UUIDS = '00000000-0000-0000-0000-000000000000';

export interface EventReminderSend {
  eventId: string;
  /** The start the job was scheduled for: a moved event's old job no longer matches and does nothing. */
  startsAt: string;
}

interface LockedEvent {
  title: string;
  location: string;
  starts_at: Date;
  going_count: number;
}

interface ChunkRow {
  user_id: string;
  email: string;
  fresh: boolean;
  email_owed: boolean;
}

/**
 * Reminds everyone going to the event, if the job is still due: the event published, its start
 * unchanged and ahead. 'stale' when it was not (at the first chunk); `sent` counts fresh reminders.
 */
export async function sendRemindersOfEvent(
  deps: ReminderDeps,
  job: EventReminderSend,
  chunk = REMINDER_CHUNK,
): Promise<{ outcome: ReminderOutcome; sent: number }> {
  let after = BEFORE_ALL_UUIDS;
  let sent = 0;
  for (let first = true; ; first = false) {
    const done = await commitChunk(deps, job, after, chunk);
    // Moved, cancelled or started since the previous chunk: the rest is not due any more.
    if (done === 'stale') return { outcome: first ? 'stale' : 'sent', sent };
    await queueReminderEmails(deps, { outcomes: [], owed: done.owed });
    sent += done.fresh;
    if (done.last === null) return { outcome: 'sent', sent };
    after = done.last;
  }
}

/** One chunk's transaction: the participants after `after` in user id order, up to `chunk` of them. */
async function commitChunk(
  deps: ReminderDeps,
  job: EventReminderSend,
  after: string,
  chunk: number,
): Promise<'stale' | { fresh: number; owed: DueReminder[]; last: string | null }> {
  return deps.db.transaction().execute(async (trx) => {
    const event = (
      await sql<LockedEvent>`
        select title, location, starts_at, going_count from events
        where id = ${job.eventId} and status = 'published' and starts_at > now()
          -- The job's start is an ISO string: milliseconds, like JavaScript's dates.
          and date_trunc('milliseconds', starts_at) = ${job.startsAt}::timestamptz
        for share`.execute(trx)
    ).rows[0];
    if (!event) return 'stale';
    // One UUIDv7 per notification, made in order: the pushes (in id order) go out in user id order.
    const ids = Array.from({ length: Math.max(1, Math.min(chunk, event.going_count)) }, newId);
    // Not a prepared statement: after five runs on a connection PostgreSQL may switch to a generic plan,
    // which cannot know the chunk's size (limit $n) and joined the chunk's CTEs with nested loops,
    // quadratic in the chunk (seconds per 2,000 in the bench's third round). Planning it each time costs
    // a few milliseconds per chunk.
    const { rows } = await sql<ChunkRow>`
      with due as (
        -- The primary key (event_id, user_id) walks the participants in user id order. The cursor is a
        -- row comparison on the key's both columns: with a bare "user_id > cursor" the prepared statement's
        -- generic plan walked the user_id index over every event's participants. A deleted account's
        -- participations are being removed: no reminder, no email (its notification would be dropped by
        -- notifications' trigger anyway).
        select p.event_id, p.user_id, e.starts_at, e.title, e.location, u.email,
          row_number() over (order by p.event_id, p.user_id) as n
        from event_participants p join events e on e.id = p.event_id join users u on u.id = p.user_id
        where p.event_id = ${job.eventId} and p.status = 'going'
          and (p.event_id, p.user_id) > (${job.eventId}::uuid, ${after}::uuid)
          and u.deleted_at is null
        order by p.event_id, p.user_id
        limit ${chunk}
      ), guard as (
        insert into event_reminders (event_id, user_id, starts_at)
        select event_id, user_id, starts_at from due order by user_id
        on conflict (event_id, user_id) do nothing
        returning user_id
      ), inserted as (
        insert into notifications (id, user_id, type, title, body, url, dedupe_key)
        select coalesce((${ids}::uuid[])[d.n::int], gen_random_uuid()), d.user_id, ${reminderNotificationColumns}
        from due d join guard g on g.user_id = d.user_id
        order by d.user_id
        on conflict (user_id, dedupe_key) where dedupe_key is not null do nothing
        returning *
      ), ${countAndPushInserted('inserted')}
      -- Sent before (a retry): the email is owed unless it was marked queued (a primary-key probe per
      -- row, LATERAL: as a NOT EXISTS beside the OR it became a hashed scan of the whole table). The guard
      -- of a concurrent sender that committed during this statement is not visible here: its email is
      -- enqueued once more, a no-op under its job id.
      select d.user_id, d.email, g.user_id is not null as fresh,
        g.user_id is not null or r.email_queued_at is null as email_owed
      from due d left join guard g on g.user_id = d.user_id
      left join lateral (
        select r.email_queued_at from event_reminders r
        where r.event_id = d.event_id and r.user_id = d.user_id
        limit 1
      ) r on true
      order by d.user_id`.execute(trx);
    const owed = rows
      .filter((r) => r.email_owed)
      .map(
        (r): DueReminder => ({
          eventId: job.eventId,
          userId: r.user_id,
          title: event.title,
          location: event.location,
          startsAt: event.starts_at,
          email: r.email,
        }),
      );
    return {
      fresh: rows.filter((r) => r.fresh).length,
      owed,
      last: rows.length === chunk ? rows[rows.length - 1]!.user_id : null,
    };
  });
}
