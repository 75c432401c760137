// One in-app notification.
import type { Notification } from '@plaza/client/protocol';
import { formatTime } from './time.ts';

export function NotificationItem({ notification }: { notification: Notification }) {
  return (
    <li
      class={`card notification${notification.readAt ? '' : ' unread'}`}
      id={`notification-${notification.id}`}
      data-notification-id={notification.id}
    >
      <div class="meta">{formatTime(notification.createdAt)}</div>
      <a href={notification.url}>
        <strong>{notification.title}</strong>
      </a>
      <p class="body">{notification.body}</p>
    </li>
  );
}
