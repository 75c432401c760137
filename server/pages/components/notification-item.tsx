// One in-app notification. Following it marks it read: its link is a form (POST /notifications/:id/open
// marks it read and redirects to its url), so this works without the script; the bundle does the same live.
import type { Notification } from '@plaza/client/protocol';
import { Time } from './time.tsx';

export function NotificationItem({ notification }: { notification: Notification }) {
  const unread = !notification.readAt;
  return (
    <li
      class={`card notification${unread ? ' unread' : ''}`}
      id={`notification-${notification.id}`}
      data-notification-id={notification.id}
    >
      <form method="post" action={`/notifications/${notification.id}/open`} class="notification-open">
        <input type="hidden" name="url" value={notification.url} />
        <input type="hidden" name="back" value="/notifications" />
        <button type="submit" class="link notification-title" data-url={notification.url}>
          {notification.title}
        </button>
      </form>
      <p class="body">{notification.body}</p>
      <div class="meta notification-meta">
        <Time iso={notification.createdAt} relative />
        {unread ? (
          <form method="post" action={`/notifications/${notification.id}/read`} class="notification-read">
            <input type="hidden" name="back" value="/notifications" />
            <button type="submit" class="link">
              Mark as read
            </button>
          </form>
        ) : (
          <span> · read</span>
        )}
      </div>
    </li>
  );
}
