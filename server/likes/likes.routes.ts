// REST of likes: PUT and DELETE /posts/:id/like, idempotent.
import { createRoute } from '@hono/zod-openapi';
import { requireActor } from '../auth/session.middleware.ts';
import type { Deps } from '../deps.ts';
import { createApiRouter } from '../http/api.ts';
import type { AppEnv } from '../http/env.ts';
import { errorResponses, jsonResponse } from '../http/openapi.ts';
import { LikeStateSchema, postIdParams } from '../posts/posts.schema.ts';
import { likePost, unlikePost } from './likes.service.ts';

const tags = ['Posts'];
const signedIn = requireActor;

const like = createRoute({
  method: 'put',
  path: '/posts/{id}/like',
  operationId: 'postsLike',
  tags,
  summary: 'Like a post (idempotent)',
  middleware: signedIn,
  request: { params: postIdParams },
  responses: { 200: jsonResponse(LikeStateSchema, 'Liked'), ...errorResponses(401, 404, 429) },
});

const unlike = createRoute({
  method: 'delete',
  path: '/posts/{id}/like',
  operationId: 'postsUnlike',
  tags,
  summary: 'Take a like back (idempotent)',
  middleware: signedIn,
  request: { params: postIdParams },
  responses: { 200: jsonResponse(LikeStateSchema, 'Not liked'), ...errorResponses(401, 404, 429) },
});

export function likesRoutes(deps: Deps) {
  const router = createApiRouter<AppEnv>();
  router.openapi(like, async (c) =>
    c.json(await likePost(deps, c.var.actor, { postId: c.req.valid('param').id }), 200),
  );
  router.openapi(unlike, async (c) =>
    c.json(await unlikePost(deps, c.var.actor, { postId: c.req.valid('param').id }), 200),
  );
  return router;
}
