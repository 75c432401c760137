// Signed-in routes of accounts: logout, one's sessions, and `GET /me`.
import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { createApiRouter } from '../http/api.ts';
import { clientIp } from '../http/client-ip.ts';
import type { AppEnv } from '../http/env.ts';
import { errorResponses, jsonResponse, noContent } from '../http/openapi.ts';
import { mediaStoreOf } from '../media/store.factory.ts';
import type { Actor } from './actor.ts';
import type { AuthContext } from './auth.context.ts';
import { MeSchema, SessionInfoSchema, sessionIdParamSchema } from './auth.schema.ts';
import { loadMe } from './me.ts';
import { clearSessionCookie, requireActor } from './session.middleware.ts';
import { listSessions, logout, revokeOwnSession } from './sessions.service.ts';

const tags = ['Accounts'];

export function sessionRoutes(ctx: AuthContext): OpenAPIHono<AppEnv> {
  // requireActor has run: the actor is there.
  const actorOf = (c: { var: { actor: Actor | null } }) => c.var.actor as Actor;

  return createApiRouter<AppEnv>()
    .openapi(
      createRoute({
        method: 'post',
        path: '/auth/logout',
        operationId: 'authLogout',
        tags,
        summary: 'Revoke the current session (204 also when not signed in)',
        responses: { 204: noContent('Signed out'), ...errorResponses(403) },
      }),
      async (c) => {
        await logout(ctx, c.var.actor);
        clearSessionCookie(c);
        return c.body(null, 204);
      },
    )
    .openapi(
      createRoute({
        method: 'get',
        path: '/auth/sessions',
        operationId: 'authSessions',
        tags,
        summary: "The signed-in user's sessions",
        middleware: [requireActor] as const,
        responses: {
          200: jsonResponse(z.object({ items: z.array(SessionInfoSchema) }), 'Sessions, newest first'),
          ...errorResponses(401),
        },
      }),
      async (c) => c.json({ items: await listSessions(ctx.db, actorOf(c)) }, 200),
    )
    .openapi(
      createRoute({
        method: 'delete',
        path: '/auth/sessions/{id}',
        operationId: 'authRevokeSession',
        tags,
        summary: 'Revoke one of your sessions (its sockets are disconnected everywhere)',
        middleware: [requireActor] as const,
        request: { params: sessionIdParamSchema },
        responses: { 204: noContent('Revoked'), ...errorResponses(401, 403, 404) },
      }),
      async (c) => {
        const actor = actorOf(c);
        const { id } = c.req.valid('param');
        await revokeOwnSession(ctx, actor, id, {
          ip: clientIp(c, ctx.config.trustProxy),
          userAgent: c.req.header('user-agent') ?? '',
        });
        if (id === actor.sessionId) clearSessionCookie(c);
        return c.body(null, 204);
      },
    )
    .openapi(
      createRoute({
        method: 'get',
        path: '/me',
        operationId: 'me',
        tags,
        summary: 'The signed-in user',
        middleware: [requireActor] as const,
        responses: { 200: jsonResponse(MeSchema, 'Me'), ...errorResponses(401) },
      }),
      async (c) => c.json(await loadMe(ctx.db, actorOf(c).userId, mediaStoreOf(ctx.config)), 200),
    );
}
