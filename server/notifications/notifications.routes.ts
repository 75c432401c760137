// REST routes of the notifications inbox: list (with the unread count), mark one read, mark all read.
import { createRoute } from '@hono/zod-openapi';
import { requireActor } from '../auth/session.middleware.ts';
import type { Deps } from '../deps.ts';
import { createApiRouter } from '../http/api.ts';
import type { AppEnv } from '../http/env.ts';
import { errorResponses, jsonResponse, noContent } from '../http/openapi.ts';
import {
  NotificationPageSchema,
  notificationIdParams,
  notificationListQuery,
} from './notifications.schema.ts';
import { listNotifications, readAllNotifications, readNotification } from './notifications.service.ts';

const tags = ['Notifications'];

const list = createRoute({
  method: 'get',
  path: '/notifications',
  operationId: 'notificationsList',
  tags,
  summary: 'Your notifications, newest first (`unread=true`: unread only), with the unread count',
  middleware: [requireActor] as const,
  request: { query: notificationListQuery },
  responses: { 200: jsonResponse(NotificationPageSchema, 'A page of notifications'), ...errorResponses(401) },
});

const readOne = createRoute({
  method: 'post',
  path: '/notifications/{id}/read',
  operationId: 'notificationsRead',
  tags,
  summary: 'Mark one of your notifications read (idempotent)',
  middleware: [requireActor] as const,
  request: { params: notificationIdParams },
  responses: { 204: noContent('Read'), ...errorResponses(401, 404) },
});

const readAll = createRoute({
  method: 'post',
  path: '/notifications/read-all',
  operationId: 'notificationsReadAll',
  tags,
  summary: 'Mark all your notifications read',
  middleware: [requireActor] as const,
  responses: { 204: noContent('All read'), ...errorResponses(401) },
});

export function notificationRoutes(deps: Deps) {
  const router = createApiRouter<AppEnv>();
  router.openapi(list, async (c) =>
    c.json(await listNotifications(deps, c.var.actor, c.req.valid('query')), 200),
  );
  router.openapi(readAll, async (c) => {
    await readAllNotifications(deps, c.var.actor);
    return c.body(null, 204);
  });
  router.openapi(readOne, async (c) => {
    await readNotification(deps, c.var.actor, { id: c.req.valid('param').id });
    return c.body(null, 204);
  });
  return router;
}
