// REST of media (API.md "Media") and the instance's limits (API.md "Instance").
import { readFileSync } from 'node:fs';
import { createRoute } from '@hono/zod-openapi';
import { BIO_MAX } from '../account/account.schema.ts';
import { requireActor } from '../auth/session.middleware.ts';
import { COMMENT_BODY_MAX } from '../comments/comments.schema.ts';
import type { Deps } from '../deps.ts';
import { createApiRouter } from '../http/api.ts';
import type { AppEnv } from '../http/env.ts';
import { errorResponses, jsonBody, jsonResponse, noContent } from '../http/openapi.ts';
import { POST_BODY_MAX } from '../posts/posts.schema.ts';
import {
  CreatedMediaSchema,
  createMediaSchema,
  InstanceSchema,
  MEDIA_PER_POST,
  MEDIA_TYPES,
  MediaSchema,
  mediaIdParams,
  updateMediaSchema,
} from './media.schema.ts';
import { completeMedia, createMedia, deleteMedia, getMedia, updateMedia } from './media.service.ts';

const tags = ['Media'];
const signedIn = requireActor;
export const FEATURES = [
  'posts',
  'comments',
  'likes',
  'follows',
  'events',
  'tickets',
  'wallet',
  'notifications',
  'media',
];

const VERSION: string = JSON.parse(
  readFileSync(new URL('../../package.json', import.meta.url), 'utf8'),
).version;

const instance = createRoute({
  method: 'get',
  path: '/instance',
  operationId: 'instance',
  tags: ['Instance'],
  summary: "This deployment's name, version and limits, to validate before sending",
  responses: { 200: jsonResponse(InstanceSchema, 'The instance'), ...errorResponses() },
});

const create = createRoute({
  method: 'post',
  path: '/media',
  operationId: 'mediaCreate',
  tags,
  summary: 'Start an upload: the media row and a presigned PUT for the file',
  middleware: signedIn,
  request: { body: jsonBody(createMediaSchema) },
  responses: {
    201: jsonResponse(CreatedMediaSchema, 'The pending media and where to PUT the file'),
    ...errorResponses(401, 415, 429),
  },
});

const complete = createRoute({
  method: 'post',
  path: '/media/{id}/complete',
  operationId: 'mediaComplete',
  tags,
  summary: 'The file is uploaded: process it (status becomes processing, then ready or failed)',
  middleware: signedIn,
  request: { params: mediaIdParams },
  responses: { 202: jsonResponse(MediaSchema, 'Processing'), ...errorResponses(401, 404, 409) },
});

const read = createRoute({
  method: 'get',
  path: '/media/{id}',
  operationId: 'mediaGet',
  tags,
  summary: 'One of your media',
  middleware: signedIn,
  request: { params: mediaIdParams },
  responses: { 200: jsonResponse(MediaSchema, 'The media'), ...errorResponses(401, 404) },
});

const update = createRoute({
  method: 'patch',
  path: '/media/{id}',
  operationId: 'mediaUpdate',
  tags,
  summary: "Change a media's alt text",
  middleware: signedIn,
  request: { params: mediaIdParams, body: jsonBody(updateMediaSchema) },
  responses: { 200: jsonResponse(MediaSchema, 'The media'), ...errorResponses(401, 404) },
});

const remove = createRoute({
  method: 'delete',
  path: '/media/{id}',
  operationId: 'mediaDelete',
  tags,
  summary: 'Delete one of your media that is not attached',
  middleware: signedIn,
  request: { params: mediaIdParams },
  responses: { 204: noContent('Deleted'), ...errorResponses(401, 404, 409) },
});

export function mediaRoutes(deps: Deps) {
  const router = createApiRouter<AppEnv>();
  const limits = {
    postChars: POST_BODY_MAX,
    commentChars: COMMENT_BODY_MAX,
    mediaPerPost: MEDIA_PER_POST,
    mediaMaxBytes: deps.config.media.maxBytes,
    mediaMaxPixels: deps.config.media.maxPixels,
    mediaTypes: [...MEDIA_TYPES],
    bioChars: BIO_MAX,
  };
  router.openapi(instance, (c) =>
    c.json(
      {
        name: deps.config.instanceName,
        version: VERSION,
        currency: deps.config.currency,
        limits,
        features: FEATURES,
      },
      200,
    ),
  );
  router.openapi(create, async (c) => c.json(await createMedia(deps, c.var.actor, c.req.valid('json')), 201));
  router.openapi(complete, async (c) =>
    c.json(await completeMedia(deps, c.var.actor, c.req.valid('param').id), 202),
  );
  router.openapi(read, async (c) => c.json(await getMedia(deps, c.var.actor, c.req.valid('param').id), 200));
  router.openapi(update, async (c) => {
    const { description } = c.req.valid('json');
    return c.json(await updateMedia(deps, c.var.actor, c.req.valid('param').id, description), 200);
  });
  router.openapi(remove, async (c) => {
    await deleteMedia(deps, c.var.actor, c.req.valid('param').id);
    return c.body(null, 204);
  });
  return router;
}
