// REST of posts: feeds, one post, write, edit, delete. Validate → service → JSON; the rules live in the service.
import { createRoute } from '@hono/zod-openapi';
import type { Page, Post } from '@plaza/client/protocol';
import { requireActor } from '../auth/session.middleware.ts';
import type { Deps } from '../deps.ts';
import { createApiRouter } from '../http/api.ts';
import type { AppEnv } from '../http/env.ts';
import { errorResponses, jsonBody, jsonResponse, noContent, pageOf } from '../http/openapi.ts';
import { pageQuerySchema } from '../lib/pagination.ts';
import { usernameParams } from '../social/social.schema.ts';
import { FirstPageCache } from './first-page-cache.ts';
import { createPostSchema, editPostSchema, PostSchema, postIdParams } from './posts.schema.ts';
import {
  createPost,
  deletePost,
  getPost,
  listHomeFeed,
  listUserPosts,
  readGlobalFeed,
  updatePost,
} from './posts.service.ts';

const tags = ['Posts'];
// Anonymous callers hear 401 before any validation of their input.
const signedIn = requireActor;
const PostPage = pageOf(PostSchema).openapi('PostPage');

const globalFeed = createRoute({
  method: 'get',
  path: '/posts',
  operationId: 'postsList',
  tags,
  summary: 'The global feed, newest first',
  request: { query: pageQuerySchema },
  responses: { 200: jsonResponse(PostPage, 'A page of posts'), ...errorResponses() },
});

const homeFeed = createRoute({
  method: 'get',
  path: '/feed',
  operationId: 'postsHome',
  tags,
  summary: 'The home feed: own posts and those of followed users',
  middleware: signedIn,
  request: { query: pageQuerySchema },
  responses: { 200: jsonResponse(PostPage, 'A page of posts'), ...errorResponses(401) },
});

const userPosts = createRoute({
  method: 'get',
  path: '/users/{username}/posts',
  operationId: 'usersPosts',
  tags,
  summary: "A user's posts, newest first",
  request: { params: usernameParams, query: pageQuerySchema },
  responses: { 200: jsonResponse(PostPage, 'A page of posts'), ...errorResponses(404) },
});

const create = createRoute({
  method: 'post',
  path: '/posts',
  operationId: 'postsCreate',
  tags,
  summary: 'Write a post',
  middleware: signedIn,
  request: { body: jsonBody(createPostSchema) },
  responses: { 201: jsonResponse(PostSchema, 'The new post'), ...errorResponses(401, 409, 429) },
});

const read = createRoute({
  method: 'get',
  path: '/posts/{id}',
  operationId: 'postsGet',
  tags,
  summary: 'One post',
  request: { params: postIdParams },
  responses: { 200: jsonResponse(PostSchema, 'The post'), ...errorResponses(404) },
});

const update = createRoute({
  method: 'patch',
  path: '/posts/{id}',
  operationId: 'postsUpdate',
  tags,
  summary: 'Edit a post (author only)',
  middleware: signedIn,
  request: { params: postIdParams, body: jsonBody(editPostSchema) },
  responses: { 200: jsonResponse(PostSchema, 'The edited post'), ...errorResponses(401, 403, 404, 429) },
});

const remove = createRoute({
  method: 'delete',
  path: '/posts/{id}',
  operationId: 'postsDelete',
  tags,
  summary: 'Delete a post with its comments and likes (author or moderator)',
  middleware: signedIn,
  request: { params: postIdParams },
  responses: { 204: noContent('Deleted'), ...errorResponses(401, 403, 404) },
});

export function postsRoutes(deps: Deps) {
  const router = createApiRouter<AppEnv>();
  const firstPages = new FirstPageCache<Page<Post>>();
  router.openapi(globalFeed, async (c) =>
    c.json(await readGlobalFeed(deps, firstPages, c.var.actor, c.req.valid('query'), c.var.seq), 200),
  );
  router.openapi(homeFeed, async (c) =>
    c.json(await listHomeFeed(deps, c.var.actor, c.req.valid('query')), 200),
  );
  router.openapi(userPosts, async (c) => {
    const { username } = c.req.valid('param');
    return c.json(await listUserPosts(deps, c.var.actor, username, c.req.valid('query')), 200);
  });
  router.openapi(create, async (c) => c.json(await createPost(deps, c.var.actor, c.req.valid('json')), 201));
  router.openapi(read, async (c) => c.json(await getPost(deps, c.var.actor, c.req.valid('param').id), 200));
  router.openapi(update, async (c) => {
    const input = { id: c.req.valid('param').id, body: c.req.valid('json').body };
    return c.json(await updatePost(deps, c.var.actor, input), 200);
  });
  router.openapi(remove, async (c) => {
    await deletePost(deps, c.var.actor, c.req.valid('param'));
    return c.body(null, 204);
  });
  return router;
}
