// Inputs and wire objects of the notifications API (REST and the `notification:read` command share these).
import { z } from '@hono/zod-openapi';
import { pageQuerySchema } from '../lib/pagination.ts';

export const notificationListQuery = pageQuerySchema.extend({
  unread: z
    .enum(['true', 'false', '1', '0'])
    .optional()
    .transform((v) => v === 'true' || v === '1')
    // Documented as the boolean it means (`true`/`false`); `1`/`0` stay accepted for old links.
    .openapi({ type: 'boolean', description: 'Only unread notifications', example: true }),
});
export type NotificationListQuery = z.infer<typeof notificationListQuery>;

export const notificationIdParams = z.object({ id: z.uuid().openapi({ param: { name: 'id', in: 'path' } }) });

/** `notification:read`; REST takes the id from the path. */
export const readNotificationSchema = z.object({ id: z.uuid() });
export type ReadNotificationInput = z.infer<typeof readNotificationSchema>;

export const NotificationSchema = z
  .object({
    id: z.string(),
    type: z.enum([
      'comment',
      'like',
      'follow',
      'event_reminder',
      'event_promoted',
      'event_cancelled',
      'transfer_received',
      'transfer_failed',
      'report_resolved',
      'new_sign_in',
      'export_ready',
    ]),
    title: z.string(),
    body: z.string(),
    url: z.string(),
    createdAt: z.string(),
    readAt: z.string().nullable(),
  })
  .openapi('Notification');

export const NotificationPageSchema = z
  .object({
    items: z.array(NotificationSchema),
    nextCursor: z.string().nullable(),
    unreadCount: z.number().int(),
  })
  .openapi('NotificationPage');
