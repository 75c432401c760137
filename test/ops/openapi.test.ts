import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type App, createApp } from '../../server/app.ts';
import { loadConfig } from '../../server/config.ts';
import { Queues } from '../../server/jobs/queues.ts';
import { createLogger } from '../../server/lib/logger.ts';
import { closeRedis, createRedis } from '../../server/lib/redis.ts';
import { readRelayPosition } from '../../server/realtime/event-log.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';

let ctx: TestContext;
let app: App;
let redis: ReturnType<typeof createRedis>;
/** Errors the app logged (a broken document is a 500 whose cause only the log names). */
const logged: string[] = [];

interface Operation {
  responses?: Record<string, { description?: string; content?: Record<string, { schema?: unknown }> }>;
  parameters?: Array<{ name: string; in: string }>;
}
interface OpenApiDocument {
  openapi: string;
  info: { title: string; version: string };
  servers: Array<{ url: string }>;
  security: unknown[];
  paths: Record<string, Record<string, Operation>>;
  components: { schemas?: Record<string, unknown>; securitySchemes?: Record<string, { type: string }> };
}

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace'];

/** Every `$ref` in the document, to prove each one resolves. */
function refsOf(node: unknown, found: string[] = []): string[] {
  if (Array.isArray(node)) for (const item of node) refsOf(item, found);
  else if (node && typeof node === 'object') {
    for (const [key, value] of Object.entries(node)) {
      if (key === '$ref' && typeof value === 'string') found.push(value);
      else refsOf(value, found);
    }
  }
  return found;
}

/** Hono's `/users/:username` (maybe with a `{regex}`) as OpenAPI's `/users/{username}`. */
const toOpenApiPath = (path: string) => path.replace(/:([A-Za-z0-9_]+)(\{[^}]*\})?/g, '{$1}');

beforeAll(async () => {
  ctx = await createTestContext();
  redis = createRedis(ctx.redisUrl, 'commands', 'test');
  const logger = createLogger('silent', 'test');
  logger.error = ((obj: { err?: unknown }) => {
    logged.push(obj.err instanceof Error ? obj.err.message : JSON.stringify(obj));
  }) as typeof logger.error;
  app = createApp({
    config: loadConfig(ctx.env),
    db: ctx.db,
    redis,
    queues: new Queues(redis, ctx.redisPrefix),
    logger,
    currentSeq: async () => (await readRelayPosition(ctx.db)).emittedSeq,
    isDraining: () => false,
    isRelayLeader: () => false,
  });
});

afterAll(async () => {
  await closeRedis(redis);
  await ctx.close();
});

async function fetchDocument(): Promise<OpenApiDocument> {
  const res = await app.request('/api/v1/openapi.json');
  expect(res.status, logged.at(-1)).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/application\/json/);
  return (await res.json()) as OpenApiDocument;
}

describe('OpenAPI document', () => {
  it('is an OpenAPI 3.1 document with info, servers and the bearer and cookie security schemes', async () => {
    const doc = await fetchDocument();
    expect(doc.openapi).toMatch(/^3\.1\.\d+$/);
    expect(doc.info).toMatchObject({ title: 'Plaza API', version: expect.any(String) });
    expect(doc.servers[0]?.url).toBe('http://localhost:3000');
    expect(doc.components.securitySchemes).toMatchObject({
      bearer: { type: 'http', scheme: 'bearer' },
      cookie: { type: 'apiKey', in: 'cookie', name: 'plaza_session' },
    });
    for (const ref of refsOf(doc)) {
      const [, section, name] = /^#\/components\/([^/]+)\/(.+)$/.exec(ref) ?? [];
      expect(
        (doc.components as Record<string, Record<string, unknown> | undefined>)[section ?? '']?.[name ?? ''],
        ref,
      ).toBeDefined();
    }
  });

  it('gives every operation responses with descriptions, path parameters, and documented errors', async () => {
    const doc = await fetchDocument();
    const problems: string[] = [];
    for (const [path, item] of Object.entries(doc.paths)) {
      if (!path.startsWith('/')) problems.push(`${path}: does not start with /`);
      for (const [method, op] of Object.entries(item)) {
        if (!METHODS.includes(method)) continue;
        const where = `${method.toUpperCase()} ${path}`;
        const responses = Object.entries(op.responses ?? {});
        if (responses.length === 0) problems.push(`${where}: no responses`);
        for (const [status, response] of responses) {
          if (!/^[1-5]\d\d$|^default$/.test(status)) problems.push(`${where}: bad status ${status}`);
          if (!response.description) problems.push(`${where}: ${status} has no description`);
        }
        for (const [, name] of path.matchAll(/\{([^}]+)\}/g)) {
          if (!op.parameters?.some((p) => p.in === 'path' && p.name === name)) {
            problems.push(`${where}: path parameter ${name} undocumented`);
          }
        }
        const isApi = path.startsWith('/api/v1/') && path !== '/api/v1/openapi.json';
        if (isApi && !responses.some(([status]) => status.startsWith('4'))) {
          problems.push(`${where}: no error response documented`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('lists every /api/v1 route the app registered, and the operational endpoints', async () => {
    const doc = await fetchDocument();
    const registered = app.routes
      .filter((r) => r.method !== 'ALL' && r.path.startsWith('/api/v1'))
      .map((r) => `${r.method} ${toOpenApiPath(r.path)}`);
    const documented = Object.entries(doc.paths).flatMap(([path, item]) =>
      Object.keys(item)
        .filter((m) => METHODS.includes(m))
        .map((m) => `${m.toUpperCase()} ${path}`),
    );
    expect(registered.length).toBeGreaterThan(1);
    const missing = [...new Set(registered)].filter((route) => !documented.includes(route));
    expect(missing).toEqual([]);
    expect(documented).toEqual(
      expect.arrayContaining([
        'GET /health',
        'GET /ready',
        'GET /metrics',
        'GET /docs',
        'GET /api/v1/openapi.json',
        'GET /api/v1/admin/stats',
      ]),
    );
  });

  it('serves Swagger UI at /docs pointing at the document', async () => {
    const res = await app.request('/docs');
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('/api/v1/openapi.json');
    expect(html).toContain('SwaggerUIBundle');
    // Everything it loads comes from our origin.
    const assets = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    expect(assets).toHaveLength(2);
    for (const url of assets) {
      expect(url).toMatch(/^\/docs\/assets\//);
      const asset = await app.request(url);
      expect(asset.status).toBe(200);
      expect((await asset.arrayBuffer()).byteLength).toBeGreaterThan(10_000);
    }
    expect((await app.request('/docs/assets/swagger-ui-dist/package.json')).status).toBe(404);
  });
});
