// The OpenAPI 3.1 document at /api/v1/openapi.json, generated from the routers' own zod schemas
// (every feature router mounted on the API router with createRoute is in it, with no list to keep).
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { Env } from 'hono';
import { SESSION_COOKIE } from '../auth/sessions.ts';
import { ErrorSchema, jsonResponse } from '../http/openapi.ts';

export const API_PREFIX = '/api/v1';
export const OPENAPI_PATH = '/openapi.json';

type Document = ReturnType<OpenAPIHono['getOpenAPI31Document']>;

/** The tags in the order a reader meets them, each said once here (lint: tag-description). */
const TAGS = [
  { name: 'Accounts', description: 'Registration, email verification, sign-in, sessions, password reset' },
  { name: 'Users', description: 'Profiles, follows, blocks and mutes' },
  { name: 'Posts', description: 'Feeds, posts and likes' },
  { name: 'Comments', description: 'Comments on posts' },
  { name: 'Events', description: 'Events, participation, waitlist and tickets' },
  { name: 'Media', description: 'Image uploads (presigned PUT, then processing) and their alt text' },
  { name: 'Instance', description: "This deployment's name, version and limits" },
  { name: 'Wallet', description: 'Balance, transfers (idempotent), their history, and minting (admin)' },
  { name: 'Notifications', description: 'The inbox: list, unread count, mark read' },
  { name: 'Moderation', description: 'Reports, the moderation queue, roles, suspension and the audit log' },
  { name: 'Operations', description: 'Health, readiness, metrics, this document and its viewer' },
];

export interface DocumentOptions {
  publicUrl: URL;
  version: string;
}

/** Registers GET /openapi.json on the API router; the document is built on first request, when every route is in. */
export function registerOpenApiDocument<E extends Env>(api: OpenAPIHono<E>, options: DocumentOptions): void {
  api.openAPIRegistry.registerComponent('securitySchemes', 'bearer', {
    type: 'http',
    scheme: 'bearer',
    description: 'The session token from login or verify-email: `Authorization: Bearer <token>`',
  });
  api.openAPIRegistry.registerComponent('securitySchemes', 'cookie', {
    type: 'apiKey',
    in: 'cookie',
    name: SESSION_COOKIE,
    description: 'The session cookie; unsafe requests must come from the same origin (CSRF check)',
  });
  // Built once: every router is mounted before the first request, and generation walks all schemas.
  let cached: string | null = null;
  // Documented like any route, served as a prebuilt string (the generic typed handler can't express "any JSON").
  api.openAPIRegistry.registerPath(
    createRoute({
      method: 'get',
      path: OPENAPI_PATH,
      operationId: 'openApiDocument',
      tags: ['Operations'],
      summary: 'This OpenAPI 3.1 document',
      security: [],
      responses: {
        200: {
          description: 'The OpenAPI document',
          content: { 'application/json': { schema: { type: 'object' } } },
        },
      },
    }),
  );
  api.get(OPENAPI_PATH, (c) => {
    cached ??= JSON.stringify(buildDocument(api, options));
    return c.body(cached, 200, { 'content-type': 'application/json; charset=UTF-8' });
  });
}

export function buildDocument<E extends Env>(api: OpenAPIHono<E>, options: DocumentOptions): Document {
  let apiDoc: Document;
  try {
    apiDoc = api.getOpenAPI31Document({
      openapi: '3.1.0',
      info: {
        title: 'Plaza API',
        version: options.version,
        description:
          'REST surface of Plaza. Live pushes and socket commands are described in API.md (Socket.IO at /socket.io). ' +
          'Every error is `{ error: { code, message, details? } }`.',
      },
      servers: [{ url: options.publicUrl.origin, description: 'This deployment (PUBLIC_URL)' }],
      tags: TAGS,
    });
  } catch (error) {
    throw explainFailure(api, error);
  }
  const opsDoc = operationsRouter().getOpenAPI31Document({ openapi: '3.1.0', info: apiDoc.info });
  const paths: NonNullable<Document['paths']> = { ...opsDoc.paths };
  for (const [path, item] of Object.entries(apiDoc.paths ?? {})) {
    paths[path === '/' ? API_PREFIX : `${API_PREFIX}${path}`] = item;
  }
  return {
    ...apiDoc,
    paths,
    components: {
      ...apiDoc.components,
      schemas: { ...opsDoc.components?.schemas, ...apiDoc.components?.schemas },
    },
  };
}

/**
 * The generator's errors ("Conflicting names for parameter") do not say where: find the first route
 * that fails on its own and name it, so whoever broke the document sees which route to fix.
 */
function explainFailure<E extends Env>(api: OpenAPIHono<E>, error: unknown): Error {
  const detail = (e: unknown) => {
    // zod-to-openapi throws plain objects (not Errors) with a message and the conflicting data.
    const { message, data } = (e ?? {}) as { message?: unknown; data?: unknown };
    return `${typeof message === 'string' ? message : String(e)}${data ? ` ${JSON.stringify(data)}` : ''}`;
  };
  for (const definition of api.openAPIRegistry.definitions) {
    if (definition.type !== 'route') continue;
    const alone = new OpenAPIHono();
    alone.openAPIRegistry.registerPath(definition.route);
    try {
      alone.getOpenAPI31Document({ openapi: '3.1.0', info: { title: 'check', version: '0' } });
    } catch (routeError) {
      const { method, path } = definition.route;
      return new Error(
        `OpenAPI document: ${method.toUpperCase()} ${API_PREFIX}${path}: ${detail(routeError)}`,
      );
    }
  }
  return new Error(`OpenAPI document: ${detail(error)}`);
}

/** The operational endpoints outside /api/v1, documented only (their handlers live in health/, metrics/, docs/). */
function operationsRouter(): OpenAPIHono {
  const ops = new OpenAPIHono();
  const tags = ['Operations'];
  const unavailable = {
    description: 'Draining, or PostgreSQL/Redis not answering',
    content: { 'application/json': { schema: ErrorSchema } },
  };
  for (const route of [
    createRoute({
      method: 'get',
      path: '/health',
      operationId: 'health',
      tags,
      summary: 'Liveness: 200 while the process runs',
      security: [],
      responses: {
        200: jsonResponse(z.object({ status: z.literal('ok'), relayLeader: z.boolean() }), 'Alive'),
      },
    }),
    createRoute({
      method: 'get',
      path: '/ready',
      operationId: 'ready',
      tags,
      summary: 'Readiness: 200 when PostgreSQL and Redis answer, else 503 naming the one that does not',
      security: [],
      responses: {
        200: jsonResponse(z.object({ status: z.literal('ready') }), 'Ready for traffic'),
        503: unavailable,
      },
    }),
    createRoute({
      method: 'get',
      path: '/metrics',
      operationId: 'metrics',
      tags,
      summary: 'Prometheus metrics of this instance (text exposition format)',
      security: [],
      responses: { 200: { description: 'Metrics', content: { 'text/plain': { schema: z.string() } } } },
    }),
    createRoute({
      method: 'get',
      path: '/docs',
      operationId: 'docs',
      tags,
      summary: 'Swagger UI for this document',
      security: [],
      responses: { 200: { description: 'HTML page', content: { 'text/html': { schema: z.string() } } } },
    }),
  ]) {
    ops.openAPIRegistry.registerPath(route);
  }
  return ops;
}
