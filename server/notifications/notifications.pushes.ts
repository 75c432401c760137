// The `notification:created` pushes of new notifications, built in SQL so that the statement inserting
// the notifications counts them and appends their pushes too: one round trip for any number of them
// (notifyMany, and the reminders worker's batches). The SQL twin of notificationRowToNotification;
// notify.test.ts keeps the two equal.
import { type RawBuilder, sql } from 'kysely';
import { userRoom } from '../auth/actor.ts';

/**
 * Two data-modifying CTEs for the CTE named `inserted` (notifications inserted by the same statement):
 * `unread_counts` adds them to their users' counters (migrations/0022) and returns the new totals;
 * `pushes` appends one push per row, in id order, to the user's `me`. Each push's unread count is the
 * user's counter after this statement less the user's new rows after it: the count as of its own
 * notification. The counters are locked in user_id order (see the migration), after whatever the
 * statement locked before, and held until the commit: the count is exact whoever notifies at once.
 */
export const countAndPushInserted = (inserted: string): RawBuilder<unknown> => sql`
  unread_counts as (
    insert into notification_counters as c (user_id, unread)
    select user_id, count(*) from ${sql.table(inserted)} group by user_id order by user_id
    on conflict (user_id) do update set unread = c.unread + excluded.unread
    returning c.user_id, c.unread
  ), pushes as (
    insert into event_log (topic, type, rooms, data)
    select 'me', 'notification:created', array[${userRoom('')}::text || n.user_id::text],
      jsonb_build_object(
        'notification', jsonb_build_object(
          'id', n.id, 'type', n.type, 'title', n.title, 'body', n.body, 'url', n.url,
          'createdAt', to_char(n.created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
          'readAt', null),
        'unreadCount', u.unread - count(*) over (partition by n.user_id)
          + row_number() over (partition by n.user_id order by n.id))
    from ${sql.table(inserted)} n join unread_counts u on u.user_id = n.user_id
    order by n.id
  )`;
