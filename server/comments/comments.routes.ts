// REST of comments: a post's comments (oldest first), writing and deleting one.
import { createRoute } from '@hono/zod-openapi';
import { requireActor } from '../auth/session.middleware.ts';
import type { Deps } from '../deps.ts';
import { createApiRouter } from '../http/api.ts';
import type { AppEnv } from '../http/env.ts';
import { errorResponses, jsonBody, jsonResponse, noContent, pageOf } from '../http/openapi.ts';
import { pageQuerySchema } from '../lib/pagination.ts';
import { postIdParams } from '../posts/posts.schema.ts';
import { CommentSchema, commentBodyInput, commentIdParams } from './comments.schema.ts';
import { createComment, deleteComment, listComments } from './comments.service.ts';

const tags = ['Comments'];
const signedIn = requireActor;

const list = createRoute({
  method: 'get',
  path: '/posts/{id}/comments',
  operationId: 'postsComments',
  tags,
  summary: "A post's comments, oldest first",
  request: { params: postIdParams, query: pageQuerySchema },
  responses: {
    200: jsonResponse(pageOf(CommentSchema).openapi('CommentPage'), 'A page of comments'),
    ...errorResponses(404),
  },
});

const create = createRoute({
  method: 'post',
  path: '/posts/{id}/comments',
  operationId: 'postsComment',
  tags,
  summary: 'Comment on a post',
  middleware: signedIn,
  request: { params: postIdParams, body: jsonBody(commentBodyInput) },
  responses: { 201: jsonResponse(CommentSchema, 'The new comment'), ...errorResponses(401, 404, 429) },
});

const remove = createRoute({
  method: 'delete',
  path: '/comments/{id}',
  operationId: 'postsDeleteComment',
  tags,
  summary: "Delete a comment (its author, the post's author, or a moderator)",
  middleware: signedIn,
  request: { params: commentIdParams },
  responses: { 204: noContent('Deleted'), ...errorResponses(401, 403, 404) },
});

export function commentsRoutes(deps: Deps) {
  const router = createApiRouter<AppEnv>();
  router.openapi(list, async (c) =>
    c.json(await listComments(deps, c.req.valid('param').id, c.req.valid('query'), c.var.actor), 200),
  );
  router.openapi(create, async (c) => {
    const input = { postId: c.req.valid('param').id, body: c.req.valid('json').body };
    return c.json(await createComment(deps, c.var.actor, input), 201);
  });
  router.openapi(remove, async (c) => {
    await deleteComment(deps, c.var.actor, c.req.valid('param'));
    return c.body(null, 204);
  });
  return router;
}
