// Account moderation routes under /api/v1/admin: role changes (admin) and suspension (moderator).
import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import type { Actor } from '../auth/actor.ts';
import { MeSchema, usernameSchema } from '../auth/auth.schema.ts';
import { requireRole } from '../auth/session.middleware.ts';

import { createApiRouter } from '../http/api.ts';
import type { AppEnv } from '../http/env.ts';
import { errorResponses, jsonBody, jsonResponse, noContent } from '../http/openapi.ts';
import { type AdminDeps, changeRole, suspendUser } from './admin.service.ts';

const tags = ['Moderation'];
const usernameParam = z.object({ username: usernameSchema });
const roleBody = z.object({ role: z.enum(['member', 'moderator', 'admin']) });

export function adminRoutes(deps: AdminDeps): OpenAPIHono<AppEnv> {
  // The role guard has run: the actor is there.
  const actorOf = (c: { var: { actor: Actor | null } }) => c.var.actor as Actor;

  return createApiRouter<AppEnv>()
    .openapi(
      createRoute({
        method: 'put',
        path: '/admin/users/{username}/role',
        operationId: 'adminSetRole',
        tags,
        summary: "Set a user's role (admin)",
        middleware: [requireRole('admin')] as const,
        request: { params: usernameParam, body: jsonBody(roleBody) },
        responses: { 200: jsonResponse(MeSchema, 'The user, Me-shaped'), ...errorResponses(401, 403, 404) },
      }),
      async (c) => {
        const { username } = c.req.valid('param');
        return c.json(await changeRole(deps, actorOf(c), username, c.req.valid('json').role), 200);
      },
    )
    .openapi(
      createRoute({
        method: 'post',
        path: '/admin/users/{username}/suspend',
        operationId: 'adminSuspend',
        tags,
        summary: 'Suspend a user: sessions revoked, login refused (moderator)',
        middleware: [requireRole('moderator')] as const,
        request: { params: usernameParam },
        responses: { 204: noContent('Suspended'), ...errorResponses(401, 403, 404) },
      }),
      async (c) => {
        await suspendUser(deps, actorOf(c), c.req.valid('param').username);
        return c.body(null, 204);
      },
    );
}
