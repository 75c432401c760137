// Fault 6 (REST): every route of the app, fuzzed with hostile paths, queries, bodies and identities.
// Never a 500, never an error log or unhandled rejection, always the contract's error shape.
import type { Post } from '@plaza/client/protocol';
import fc from 'fast-check';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type App, createApp } from '../../server/app.ts';
import { createSession } from '../../server/auth/sessions.ts';
import { loadConfig } from '../../server/config.ts';
import { Queues } from '../../server/jobs/queues.ts';
import { closeRedis, createRedis } from '../../server/lib/redis.ts';
import { readRelayPosition } from '../../server/realtime/event-log.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { bearer, createUser, type TestUser } from '../helpers/factories.ts';
import { contractErrorProblem, nastyPayload, nastyQuery, nastySegment, nastyValue } from './fuzz-values.ts';

/** Runs per route: ~50 routes × this, in-process, takes seconds. */
const RUNS_PER_ROUTE = 40;
/** Fixed for a stable CI; FUZZ_SEED=<n> explores other inputs (a failure prints its seed and path). */
const FUZZ_SEED = Number(process.env.FUZZ_SEED ?? 1_010);

let ctx: TestContext;
let app: App;
let redis: ReturnType<typeof createRedis>;
let queues: Queues;
let member: TestUser;
let admin: TestUser;
const realSegments: string[] = [];
const errorLogs: string[] = [];
const rejections: unknown[] = [];
const onRejection = (reason: unknown) => rejections.push(reason);

beforeAll(async () => {
  process.on('unhandledRejection', onRejection);
  // Very high write limits: the point is the validators and services, not the limiter (fuzzed elsewhere).
  ctx = await createTestContext({
    POSTS_PER_MINUTE: '100000',
    COMMENTS_PER_MINUTE: '100000',
    LIKES_PER_MINUTE: '100000',
    TRANSFERS_PER_MINUTE: '100000',
    EVENT_JOINS_PER_MINUTE: '100000',
    EVENTS_PER_HOUR: '100000',
  });
  const config = loadConfig(ctx.env);
  const logger = pino(
    { level: 'warn', formatters: { level: (label) => ({ level: label }) } },
    {
      write: (line: string) => {
        if (/"level":"(error|fatal)"/.test(line)) errorLogs.push(line.slice(0, 2_000));
      },
    },
  );
  redis = createRedis(ctx.redisUrl, 'commands', 'fuzz-test');
  queues = new Queues(redis, ctx.redisPrefix);
  app = createApp({
    config,
    db: ctx.db,
    redis,
    queues,
    logger,
    currentSeq: async () => (await readRelayPosition(ctx.db)).emittedSeq,
    isDraining: () => false,
    isRelayLeader: () => false,
  });
  member = await createUser(ctx.db);
  admin = await createUser(ctx.db, { role: 'admin' });
  // Real ids and names among the random ones, so some requests get past "not found" into the rules.
  // They belong to a third user: a fuzzed suspension must not sign the fuzzing identities out.
  const target = await createUser(ctx.db);
  const res = await app.request('/api/v1/posts', {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...bearer(target) },
    body: JSON.stringify({ body: 'a post to fuzz around' }),
  });
  const post = (await res.json()) as Post;
  realSegments.push(post.id, target.username, target.sessionId);
});

afterAll(async () => {
  process.off('unhandledRejection', onRejection);
  await queues?.close();
  if (redis) await closeRedis(redis);
  await ctx?.close();
});

interface Route {
  method: string;
  path: string;
}

/** Every API route the app serves, from Hono's own table (not a hand-kept list). */
function apiRoutes(): Route[] {
  const seen = new Set<string>();
  const routes: Route[] = [];
  for (const r of app.routes) {
    if (r.method === 'ALL' || !r.path.startsWith('/api/v1/') || r.path.includes('*')) continue;
    const key = `${r.method} ${r.path}`;
    if (seen.has(key)) continue;
    seen.add(key);
    routes.push({ method: r.method, path: r.path });
  }
  return routes;
}

type Identity = 'anonymous' | 'member' | 'admin' | 'garbage';

async function headersFor(identity: Identity, garbage: string): Promise<Record<string, string>> {
  if (identity === 'anonymous') return {};
  if (identity === 'garbage') return { authorization: `Bearer ${garbage}` };
  // A fresh session each time: a fuzzed logout or password reset must not sign the next runs out.
  const user = identity === 'member' ? member : admin;
  const session = await createSession(ctx.db, user.id, 'fuzz');
  return { authorization: `Bearer ${session.token}` };
}

/** Header values can only carry visible ASCII (fetch refuses the rest before it is sent). */
const headerSafe = (value: string) => value.replace(/[^\x20-\x7e]/g, '').trim();

interface SchemaNode {
  $ref?: string;
  properties?: Record<string, unknown>;
}
interface OpenApiDoc {
  paths: Record<
    string,
    Record<string, { requestBody?: { content?: Record<string, { schema?: SchemaNode }> } }>
  >;
  components?: { schemas?: Record<string, SchemaNode> };
}

/** The JSON body's field names of a route, from the OpenAPI document the routes generate. */
function bodyFields(doc: OpenApiDoc, route: Route): string[] {
  const path = route.path.replace(/:([A-Za-z]+)/g, '{$1}');
  let schema =
    doc.paths[path]?.[route.method.toLowerCase()]?.requestBody?.content?.['application/json']?.schema;
  if (schema?.$ref) schema = doc.components?.schemas?.[schema.$ref.split('/').at(-1) ?? ''];
  return Object.keys(schema?.properties ?? {});
}

/** Bodies with the route's own fields, holding plausible or hostile values: they reach the services. */
function shapedBody(fields: string[]): fc.Arbitrary<string> {
  const plausible = fc.oneof(
    fc.constantFrom('hello', 'Board games night', 'user_abc', 'a@example.test', 'long enough pw', 'member'),
    fc.integer({ min: -5, max: 5_000 }),
    fc.constantFrom(
      new Date(Date.now() + 86_400_000).toISOString(),
      new Date(Date.now() + 90_000_000).toISOString(),
    ),
    fc.constantFrom(...realSegments),
  );
  const value = fc.oneof(plausible, plausible, nastyValue);
  return fc
    .record(Object.fromEntries(fields.map((f) => [f, value])), { requiredKeys: [] })
    .map((body) => JSON.stringify(body));
}

const requestArbitrary = (fields: string[]) =>
  fc.record({
    segments: fc.array(nastySegment, { minLength: 4, maxLength: 4 }),
    useReal: fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }),
    realIndex: fc.nat(),
    query: nastyQuery,
    body: fc.oneof(
      {
        weight: fields.length > 0 ? 6 : 0,
        arbitrary: fields.length > 0 ? shapedBody(fields) : fc.constant('{}'),
      },
      { weight: 4, arbitrary: nastyPayload.map((v) => JSON.stringify(v) ?? 'null') },
      { weight: 1, arbitrary: fc.string({ maxLength: 200 }) },
      { weight: 1, arbitrary: fc.constant(undefined) },
    ),
    contentType: fc.constantFrom(
      'application/json',
      'application/json',
      'application/json',
      'text/plain',
      undefined,
    ),
    identity: fc.constantFrom<Identity>('anonymous', 'member', 'member', 'admin', 'garbage'),
    garbage: fc
      .oneof(fc.string({ maxLength: 80 }), fc.constantFrom('a.b', '.', 'x'.repeat(500)))
      .map(headerSafe),
    idempotencyKey: fc.option(
      nastyValue.map((v) => headerSafe(String(v).slice(0, 300))),
      { nil: undefined },
    ),
  });

describe('REST fuzzing', () => {
  it('answers every route, under hostile input, with a success or a contract error — never a 500', async () => {
    const routes = apiRoutes();
    const doc = (await (await app.request('/api/v1/openapi.json')).json()) as OpenApiDoc;
    let shaped = 0;
    expect(routes.length).toBeGreaterThan(30);
    const statuses = new Map<number, number>();
    for (const route of routes) {
      const fields = bodyFields(doc, route);
      if (fields.length > 0) shaped++;
      await fc.assert(
        fc.asyncProperty(requestArbitrary(fields), async (r) => {
          let i = 0;
          const path = route.path.replace(/:[A-Za-z]+/g, () => {
            const n = i++;
            const value = r.useReal[n] ? realSegments[r.realIndex % realSegments.length]! : r.segments[n]!;
            return encodeURIComponent(value);
          });
          const url = new URL(`http://localhost${path}`);
          for (const [k, v] of Object.entries(r.query)) url.searchParams.set(k, v);
          const headers: Record<string, string> = await headersFor(r.identity, r.garbage);
          if (r.contentType) headers['content-type'] = r.contentType;
          if (r.idempotencyKey) headers['idempotency-key'] = r.idempotencyKey;
          const hasBody = !['GET', 'HEAD'].includes(route.method) && r.body !== undefined;
          const res = await app.request(url.pathname + url.search, {
            method: route.method,
            headers,
            body: hasBody ? r.body : undefined,
          });
          statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
          const text = await res.text();
          const where = `${route.method} ${url.pathname}${url.search} as ${r.identity} with ${String(r.body).slice(0, 300)}`;
          expect(res.status, `${where} → ${text.slice(0, 300)}\n${errorLogs.at(-1) ?? ''}`).toBeLessThan(500);
          if (res.status >= 400) {
            expect(res.headers.get('content-type'), where).toContain('application/json');
            expect(
              contractErrorProblem(JSON.parse(text), res.status),
              `${where} → ${text.slice(0, 300)}`,
            ).toBeNull();
          }
        }),
        { numRuns: RUNS_PER_ROUTE, seed: FUZZ_SEED, endOnFailure: true },
      );
    }
    console.log(
      `REST fuzz: ${routes.length} routes (${shaped} with documented bodies) × ${RUNS_PER_ROUTE} runs; statuses ${JSON.stringify(Object.fromEntries(statuses))}`,
    );
    expect(errorLogs).toEqual([]);
    expect(rejections).toEqual([]);
    // The database is still whole: the users table answers and holds the fuzzing users.
    const users = await ctx.db.selectFrom('users').select('id').execute();
    expect(users.length).toBeGreaterThanOrEqual(2);
  });
});
