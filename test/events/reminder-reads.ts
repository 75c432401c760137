// What the reminder tests read back: an event's reminders (notifications, guards, pushes), a reminder's
// email job, and whether the users' unread counters still equal their unread rows.
import type { Event } from '@plaza/client/protocol';
import { sql } from 'kysely';
import type { Db } from '../../server/db/database.ts';
import { reminderEmailJobId } from '../../server/events/events.reminder-delivery.ts';
import type { Queues } from '../../server/jobs/queues.ts';
import type { TestUser } from '../helpers/factories.ts';

/** The event's reminders: notifications, guards and pushes (not its other notifications, e.g. cancelled). */
export async function remindersSentTo(db: Db, event: Event) {
  const url = `/events/${event.id}`;
  const [notes, guards, pushes] = await Promise.all([
    db
      .selectFrom('notifications')
      .select(['user_id', 'title', 'body'])
      .where('url', '=', url)
      .where('type', '=', 'event_reminder')
      .execute(),
    db.selectFrom('event_reminders').selectAll().where('event_id', '=', event.id).execute(),
    db
      .selectFrom('event_log')
      .select(['rooms', 'data'])
      .where('type', '=', 'notification:created')
      .where(sql<string>`data->'notification'->>'url'`, '=', url)
      .where(sql<string>`data->'notification'->>'type'`, '=', 'event_reminder')
      .execute(),
  ]);
  return { notes, guards, pushes };
}

export const reminderEmailJob = (queues: Queues, event: Event, user: TestUser) =>
  queues.get('email').getJob(reminderEmailJobId(event.id, user.id));

/** Users whose unread counter differs from their unread notifications (none, when the counters are exact). */
export async function inexactCounters(db: Db, userIds: readonly string[]) {
  const { rows } = await sql<{ user_id: string; counted: number; actual: number }>`
    select u.id as user_id, coalesce(c.unread, 0)::int as counted,
      (select count(*) from notifications n where n.user_id = u.id and n.read_at is null)::int as actual
    from users u left join notification_counters c on c.user_id = u.id
    where u.id = any(${[...userIds]}::uuid[])`.execute(db);
  return rows.filter((r) => r.counted !== r.actual);
}
