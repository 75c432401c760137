// REST of avatars: `PUT /me/avatar` and `DELETE /me/avatar` (API.md "Media"), beside the other /me routes.
import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import type { Actor } from '../auth/actor.ts';
import { MeSchema } from '../auth/auth.schema.ts';
import { requireActor } from '../auth/session.middleware.ts';
import { createApiRouter } from '../http/api.ts';
import type { AppEnv } from '../http/env.ts';
import { errorResponses, jsonBody, jsonResponse } from '../http/openapi.ts';
import { type AvatarDeps, deleteAvatar, setAvatar } from './avatar.service.ts';
import { mediaIdSchema } from './media.schema.ts';

/** The tag of `/me` (sessions.routes.ts). */
const tags = ['Accounts'];

export const setAvatarSchema = z
  .object({
    mediaId: mediaIdSchema.openapi({ description: 'One of your ready media, not attached to anything' }),
  })
  .openapi('SetAvatar');

const put = createRoute({
  method: 'put',
  path: '/me/avatar',
  operationId: 'meSetAvatar',
  tags,
  summary: 'Make one of your ready, unattached media your avatar (the previous one is deleted)',
  middleware: [requireActor] as const,
  request: { body: jsonBody(setAvatarSchema) },
  responses: { 200: jsonResponse(MeSchema, 'Me, with the new avatar'), ...errorResponses(401, 404, 409) },
});

const remove = createRoute({
  method: 'delete',
  path: '/me/avatar',
  operationId: 'meDeleteAvatar',
  tags,
  summary: 'Remove your avatar (its media is deleted); without one, nothing changes',
  middleware: [requireActor] as const,
  responses: { 200: jsonResponse(MeSchema, 'Me, without an avatar'), ...errorResponses(401) },
});

export function avatarRoutes(deps: AvatarDeps): OpenAPIHono<AppEnv> {
  // requireActor has run: the actor is there.
  const actorOf = (c: { var: { actor: Actor | null } }) => c.var.actor as Actor;
  return createApiRouter<AppEnv>()
    .openapi(put, async (c) => c.json(await setAvatar(deps, actorOf(c), c.req.valid('json').mediaId), 200))
    .openapi(remove, async (c) => c.json(await deleteAvatar(deps, actorOf(c)), 200));
}
