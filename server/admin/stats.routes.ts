// GET /api/v1/admin/stats (admin): the operator's overview of the deployment.
import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { requireRole } from '../auth/session.middleware.ts';
import { createApiRouter } from '../http/api.ts';
import type { AppEnv } from '../http/env.ts';
import { errorResponses, jsonResponse } from '../http/openapi.ts';
import { adminStats, type StatsDeps } from './stats.service.ts';

const count = z.number().int().min(0);

const QueueDepthSchema = z
  .object({ waiting: count, active: count, delayed: count, failed: count })
  .openapi('QueueDepth');

const AdminStatsSchema = z
  .object({
    users: count,
    posts: count,
    events: count,
    sockets: count.openapi({ description: 'Socket.IO connections on all instances' }),
    queues: z.record(z.string(), QueueDepthSchema).openapi({ description: 'BullMQ jobs per queue' }),
  })
  .openapi('AdminStats');

export function adminStatsRoutes(deps: StatsDeps): OpenAPIHono<AppEnv> {
  return createApiRouter<AppEnv>().openapi(
    createRoute({
      method: 'get',
      path: '/admin/stats',
      operationId: 'adminStats',
      tags: ['Operations'],
      summary: 'Counts, live sockets across instances and queue depths (admin)',
      middleware: [requireRole('admin')] as const,
      responses: { 200: jsonResponse(AdminStatsSchema, 'The overview'), ...errorResponses(401, 403) },
    }),
    async (c) => c.json(await adminStats(deps), 200),
  );
}
