// One in-app notification.
import type { Notification } from '@plaza/client/protocol';
import { Time } from './time.tsx';

export function NotificationItem({ notification }: { notification: Notification }) {
  return (
    <li
      class={`card notification${notification.readAt ? '' : ' unread'}`}
      id={`notification-${notification.id}`}
      data-notification-id={notification.id}
    >
      <div class="meta">
        <Time iso={notification.createdAt} relative />
      </div>
      <a href={notification.url}>
        <strong>{notification.title}</strong>
      </a>
      <p class="body">{notification.body}</p>
    </li>
  );
}
