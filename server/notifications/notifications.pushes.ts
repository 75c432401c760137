// The `notification:created` pushes of new notifications, built in SQL so that the statement inserting
// the notifications appends their pushes too: one round trip for any number of them (notifyMany, and
// the reminders worker's batches). The SQL twin of notificationRowToNotification; notify.test.ts keeps
// the two equal.
import { type RawBuilder, sql } from 'kysely';
import { userRoom } from '../auth/actor.ts';

/**
 * The body of a data-modifying CTE appending one push per row of the CTE named `inserted` (notifications
 * inserted by the same statement), in id order, to the user's `me`. Each push's unread count is the
 * user's unread notifications as of the statement's snapshot, which does not see `inserted`, plus the
 * row's rank among the user's new ones: the count as of its own notification.
 */
export const appendNotificationPushes = (inserted: string): RawBuilder<unknown> => sql`
  insert into event_log (topic, type, rooms, data)
  select 'me', 'notification:created', array[${userRoom('')}::text || n.user_id::text],
    jsonb_build_object(
      'notification', jsonb_build_object(
        'id', n.id, 'type', n.type, 'title', n.title, 'body', n.body, 'url', n.url,
        'createdAt', to_char(n.created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
        'readAt', null),
      'unreadCount',
        (select count(*) from notifications c where c.user_id = n.user_id and c.read_at is null)
        + row_number() over (partition by n.user_id order by n.id))
  from ${sql.table(inserted)} n
  order by n.id`;
