// REST of blocks and mutes (API.md "Safety"): PUT/DELETE /users/:username/block and /mute, GET /me/blocks
// and /me/mutes.
import { createRoute } from '@hono/zod-openapi';
import { requireActor } from '../auth/session.middleware.ts';
import type { Deps } from '../deps.ts';
import { createApiRouter } from '../http/api.ts';
import type { AppEnv } from '../http/env.ts';
import { errorResponses, jsonBody, jsonResponse, pageOf } from '../http/openapi.ts';
import { pageQuerySchema } from '../lib/pagination.ts';
import { UserSchema, usernameParams } from '../social/social.schema.ts';
import { BlockStateSchema, MutedUserSchema, MuteStateSchema, muteBodySchema } from './safety.schema.ts';
import { blockUser, listBlocks, listMutes, muteUser, unblockUser, unmuteUser } from './safety.service.ts';

const tags = ['Users'];
const signedIn = requireActor;

const blockRoute = (method: 'put' | 'delete') =>
  createRoute({
    method,
    path: '/users/{username}/block',
    operationId: method === 'put' ? 'usersBlock' : 'usersUnblock',
    tags,
    summary:
      method === 'put'
        ? 'Block a user (idempotent): follows both ways end, neither sees the other; not yourself, not moderators (400)'
        : 'Unblock a user (idempotent)',
    middleware: signedIn,
    request: { params: usernameParams },
    responses: { 200: jsonResponse(BlockStateSchema, 'The block state'), ...errorResponses(401, 404) },
  });

const muteRoute = createRoute({
  method: 'put',
  path: '/users/{username}/mute',
  operationId: 'usersMute',
  tags,
  summary:
    "Mute a user until expiresAt (or until unmuted): their posts, comments and notifications stop; they aren't told",
  middleware: signedIn,
  request: {
    params: usernameParams,
    body: { ...jsonBody(muteBodySchema, 'When the mute ends (optional)'), required: false },
  },
  responses: { 200: jsonResponse(MuteStateSchema, 'The mute state'), ...errorResponses(401, 404) },
});

const unmuteRoute = createRoute({
  method: 'delete',
  path: '/users/{username}/mute',
  operationId: 'usersUnmute',
  tags,
  summary: 'Unmute a user (idempotent)',
  middleware: signedIn,
  request: { params: usernameParams },
  responses: { 200: jsonResponse(MuteStateSchema, 'The mute state'), ...errorResponses(401, 404) },
});

const listRoute = (side: 'blocks' | 'mutes') =>
  createRoute({
    method: 'get',
    path: `/me/${side}`,
    operationId: side === 'blocks' ? 'meBlocks' : 'meMutes',
    tags,
    summary:
      side === 'blocks'
        ? 'The users you block, newest first'
        : 'The users you mute (with when each mute ends), newest first',
    middleware: signedIn,
    request: { query: pageQuerySchema },
    responses: {
      200: jsonResponse(
        side === 'blocks'
          ? pageOf(UserSchema).openapi('BlockedUserPage')
          : pageOf(MutedUserSchema).openapi('MutedUserPage'),
        'A page of users',
      ),
      ...errorResponses(401),
    },
  });

export function safetyRoutes(deps: Deps) {
  const router = createApiRouter<AppEnv>();
  router.openapi(blockRoute('put'), async (c) =>
    c.json(await blockUser(deps, c.var.actor, c.req.valid('param')), 200),
  );
  router.openapi(blockRoute('delete'), async (c) =>
    c.json(await unblockUser(deps, c.var.actor, c.req.valid('param')), 200),
  );
  router.openapi(muteRoute, async (c) => {
    // The body is optional: none (or an empty one) mutes until unmuted.
    const body = c.req.header('content-type')?.includes('json') ? c.req.valid('json') : {};
    return c.json(await muteUser(deps, c.var.actor, { ...body, ...c.req.valid('param') }), 200);
  });
  router.openapi(unmuteRoute, async (c) =>
    c.json(await unmuteUser(deps, c.var.actor, c.req.valid('param')), 200),
  );
  router.openapi(listRoute('blocks'), async (c) =>
    c.json(await listBlocks(deps, c.var.actor, c.req.valid('query')), 200),
  );
  router.openapi(listRoute('mutes'), async (c) =>
    c.json(await listMutes(deps, c.var.actor, c.req.valid('query')), 200),
  );
  return router;
}
