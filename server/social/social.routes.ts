// REST of profiles and follows.
import { createRoute } from '@hono/zod-openapi';
import { requireActor } from '../auth/session.middleware.ts';
import type { Deps } from '../deps.ts';
import { createApiRouter } from '../http/api.ts';
import type { AppEnv } from '../http/env.ts';
import { errorResponses, jsonResponse, pageOf } from '../http/openapi.ts';
import { pageQuerySchema } from '../lib/pagination.ts';
import { FollowStateSchema, UserSchema, usernameParams } from './social.schema.ts';
import { followUser, getUser, listFollows, unfollowUser } from './social.service.ts';

const tags = ['Users'];
const signedIn = requireActor;
const UserPage = pageOf(UserSchema).openapi('UserPage');

const profile = createRoute({
  method: 'get',
  path: '/users/{username}',
  operationId: 'usersGet',
  tags,
  summary: "A user's public profile",
  request: { params: usernameParams },
  responses: { 200: jsonResponse(UserSchema, 'The user'), ...errorResponses(404) },
});

const followPage = (side: 'followers' | 'following') =>
  createRoute({
    method: 'get',
    path: `/users/{username}/${side}`,
    operationId: side === 'followers' ? 'usersFollowers' : 'usersFollowing',
    tags,
    summary: side === 'followers' ? "A user's followers, newest first" : 'Whom a user follows, newest first',
    request: { params: usernameParams, query: pageQuerySchema },
    responses: { 200: jsonResponse(UserPage, 'A page of users'), ...errorResponses(404) },
  });

const followRoute = (method: 'put' | 'delete') =>
  createRoute({
    method,
    path: '/users/{username}/follow',
    operationId: method === 'put' ? 'usersFollow' : 'usersUnfollow',
    tags,
    summary:
      method === 'put'
        ? 'Follow a user (idempotent; not yourself; at most 5,000 followed accounts: 409 beyond)'
        : 'Unfollow a user (idempotent)',
    middleware: signedIn,
    request: { params: usernameParams },
    responses: {
      200: jsonResponse(FollowStateSchema, 'The follow state'),
      ...(method === 'put' ? errorResponses(401, 404, 409) : errorResponses(401, 404)),
    },
  });

export function socialRoutes(deps: Deps) {
  const router = createApiRouter<AppEnv>();
  router.openapi(profile, async (c) =>
    c.json(await getUser(deps, c.var.actor, c.req.valid('param').username), 200),
  );
  for (const side of ['followers', 'following'] as const) {
    router.openapi(followPage(side), async (c) => {
      const { username } = c.req.valid('param');
      return c.json(await listFollows(deps, c.var.actor, username, side, c.req.valid('query')), 200);
    });
  }
  router.openapi(followRoute('put'), async (c) =>
    c.json(await followUser(deps, c.var.actor, c.req.valid('param')), 200),
  );
  router.openapi(followRoute('delete'), async (c) =>
    c.json(await unfollowUser(deps, c.var.actor, c.req.valid('param')), 200),
  );
  return router;
}
