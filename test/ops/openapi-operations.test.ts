// What a generator reads from each operation of the document: an operationId that is the SDK method's
// name, security that matches what the route does to an anonymous caller, typed query parameters,
// described tags, and named components that are never nullable themselves.
import { createClient } from '@plaza/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { createInProcessApp, type InProcessApp } from '../helpers/in-process-app.ts';

interface Operation {
  operationId?: string;
  summary?: string;
  tags?: string[];
  security?: Array<Record<string, string[]>>;
  parameters?: Array<{ name: string; in: string; schema: Record<string, unknown> }>;
}
interface OpenApiDocument {
  tags?: Array<{ name: string; description?: string }>;
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Record<string, unknown>> };
}

const METHODS = ['get', 'put', 'post', 'delete', 'patch'];
const OPTIONAL = [{ bearer: [] }, { cookie: [] }, {}];
const REQUIRED = [{ bearer: [] }, { cookie: [] }];

let ctx: TestContext;
let served: InProcessApp;
let doc: OpenApiDocument;

beforeAll(async () => {
  ctx = await createTestContext();
  served = createInProcessApp(ctx);
  const res = await served.app.request('/api/v1/openapi.json');
  expect(res.status).toBe(200);
  doc = (await res.json()) as OpenApiDocument;
});

afterAll(async () => {
  await served.close();
  await ctx.close();
});

function operations() {
  return Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([method]) => METHODS.includes(method))
      .map(([method, op]) => ({ method, path, op, where: `${method.toUpperCase()} ${path}` })),
  );
}

/** The documented operation a concrete request lands on. */
function operationFor(method: string, url: string) {
  const path = new URL(url).pathname;
  return operations().find(
    (o) =>
      o.method === method.toLowerCase() &&
      new RegExp(`^${o.path.replace(/\{[^}]+\}/g, '[^/]+')}$`).test(path) &&
      // `/auth/sessions/{id}` must not swallow a literal sibling such as `/notifications/read-all`.
      !operations().some(
        (other) => other !== o && other.method === o.method && other.path === path && o.path !== path,
      ),
  );
}

/** Every SDK method as `group.name` (or `name`), with the request it sends first. */
async function sdkRequests(): Promise<Array<{ name: string; method: string; url: string }>> {
  let last: { method: string; url: string } | undefined;
  const client = createClient({
    url: 'http://sdk.test',
    fetch: async (input, init) => {
      last ??= { method: init?.method ?? 'GET', url: String(input) };
      return new Response('{}', { status: 200, headers: { 'content-type': 'application/json' } });
    },
  });
  const found: Array<{ name: string; method: string; url: string }> = [];
  const record = async (name: string, fn: (...args: unknown[]) => unknown) => {
    last = undefined;
    // Sign-in inputs carry a captcha, so no method goes off to fetch a challenge first.
    const args = Array.from({ length: Math.max(fn.length, 1) }, () =>
      /^auth\.(register|login)$/.test(name) ? { captcha: 'solved' } : 'p1',
    );
    await fn(...args);
    // Assigned inside the fake fetch, which the compiler's narrowing can't see.
    const sent = last as { method: string; url: string } | undefined;
    if (sent) found.push({ name, method: sent.method, url: sent.url });
  };
  const groups = [
    'auth',
    'users',
    'posts',
    'events',
    'media',
    'wallet',
    'notifications',
    'admin',
    'reports',
  ] as const;
  for (const group of groups) {
    for (const [name, fn] of Object.entries(client[group])) {
      if (group === 'auth' && name === 'solveCaptcha') continue; // auth.captcha, then local work
      if (group === 'media' && name === 'upload') continue; // media.create, the PUT, media.complete, media.get
      await record(`${group}.${name}`, fn as (...args: unknown[]) => unknown);
    }
  }
  await record('me', client.me);
  await record('instance', client.instance);
  // `client.me()` and its methods (`me.setAvatar` → `meSetAvatar`).
  for (const [name, fn] of Object.entries(client.me)) {
    await record(`me.${name}`, fn as (...args: unknown[]) => unknown);
  }
  return found;
}

/** `posts.deleteComment` → `postsDeleteComment`: a plain identifier every generator accepts. */
const operationIdOf = (sdkName: string) =>
  sdkName.replace(/\.([a-z])/g, (_, first: string) => first.toUpperCase());

describe('OpenAPI operations', () => {
  it('gives every operation a unique identifier-shaped operationId, the SDK method name where there is one', async () => {
    const ids = operations().map((o) => o.op.operationId);
    expect(ids.filter((id) => !id || !/^[a-z][A-Za-z0-9]*$/.test(id))).toEqual([]);
    expect(new Set(ids).size).toBe(ids.length);

    const requests = await sdkRequests();
    expect(requests.length).toBeGreaterThan(40);
    const mismatches = requests
      .map(({ name, method, url }) => {
        const found = operationFor(method, url);
        return found?.op.operationId === operationIdOf(name)
          ? null
          : `${name} (${method} ${url}) → ${found ? found.op.operationId : 'no documented operation'}`;
      })
      .filter(Boolean);
    expect(mismatches).toEqual([]);
    // Every API operation but the document itself has an SDK method.
    const withSdk = new Set(requests.map((r) => operationIdOf(r.name)));
    const apiOps = operations().filter((o) => o.path.startsWith('/api/v1/'));
    expect(apiOps.filter((o) => !withSdk.has(o.op.operationId ?? '')).map((o) => o.where)).toEqual([
      'GET /api/v1/openapi.json',
    ]);
  });

  it('marks each operation public, optional or required as an anonymous request finds it', async () => {
    const problems: string[] = [];
    for (const { method, path, op, where } of operations()) {
      const security = op.security;
      if (!security) {
        problems.push(`${where}: no security`);
        continue;
      }
      const kind =
        security.length === 0
          ? 'public'
          : JSON.stringify(security) === JSON.stringify(REQUIRED)
            ? 'required'
            : JSON.stringify(security) === JSON.stringify(OPTIONAL)
              ? 'optional'
              : `unexpected ${JSON.stringify(security)}`;
      const url = path.replace(/\{[^}]+\}/g, '00000000-0000-4000-8000-000000000000');
      // Anonymous, no body: routes behind sign-in answer 401 before reading any input.
      const res = await served.app.request(url, { method: method.toUpperCase() });
      const anonymous401 = res.status === 401;
      if (kind === 'required' && !anonymous401)
        problems.push(`${where}: required but anonymous got ${res.status}`);
      if (kind !== 'required' && anonymous401) problems.push(`${where}: ${kind} but anonymous got 401`);
      if (!['public', 'required', 'optional'].includes(kind)) problems.push(`${where}: ${kind}`);
    }
    expect(problems).toEqual([]);
    const kindOf = (path: string, method: string) => doc.paths[path]?.[method]?.security;
    expect(kindOf('/api/v1/auth/register', 'post')).toEqual([]);
    expect(kindOf('/api/v1/posts', 'get')).toEqual(OPTIONAL);
    expect(kindOf('/api/v1/posts', 'post')).toEqual(REQUIRED);
    expect(kindOf('/api/v1/admin/stats', 'get')).toEqual(REQUIRED);
  });

  it('types query parameters: limits as bounded integers, cursors as strings, flags as booleans', () => {
    const problems: string[] = [];
    for (const { op, where } of operations()) {
      for (const param of op.parameters ?? []) {
        if (param.in !== 'query') continue;
        const { schema } = param;
        const expected: Record<string, Record<string, unknown>> = {
          limit: { type: 'integer', minimum: 1, maximum: 100 },
          cursor: { type: 'string' },
          unread: { type: 'boolean' },
          // Filters of the moderation lists (GET /admin/reports, /admin/audit, /admin/users).
          status: { type: 'string' },
          query: { type: 'string' },
          role: { type: 'string' },
          actor: { type: 'string' },
          action: { type: 'string' },
        };
        const want = expected[param.name];
        if (!want) problems.push(`${where}: query ${param.name} has no expectation here`);
        else if (!Object.entries(want).every(([k, v]) => schema[k] === v)) {
          problems.push(`${where}: query ${param.name} is ${JSON.stringify(schema)}`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('gives every operation a summary and declared tags, and every tag a description', () => {
    const declared = new Map((doc.tags ?? []).map((t) => [t.name, t.description]));
    const problems: string[] = [];
    for (const { op, where } of operations()) {
      if (!op.summary) problems.push(`${where}: no summary`);
      if (!op.tags?.length) problems.push(`${where}: no tag`);
      for (const tag of op.tags ?? [])
        if (!declared.get(tag)) problems.push(`${where}: tag ${tag} undescribed`);
    }
    expect(problems).toEqual([]);
  });

  it('keeps named components non-nullable: null is said where a schema is used', () => {
    const admitsNull = (schema: Record<string, unknown>) =>
      schema.type === 'null' ||
      (Array.isArray(schema.type) && schema.type.includes('null')) ||
      ['anyOf', 'oneOf'].some((k) =>
        (schema[k] as Array<Record<string, unknown>> | undefined)?.some((s) => s.type === 'null'),
      );
    const nullable = Object.entries(doc.components.schemas)
      .filter(([, schema]) => admitsNull(schema))
      .map(([name]) => name);
    expect(nullable).toEqual([]);
    // `allOf: [$ref, {type: [..., 'null']}]` (what .nullable() of a component gives once it exists) never admits null.
    const json = JSON.stringify(doc);
    expect(json).not.toMatch(/"allOf":\[\{"\$ref":"[^"]+"\},\{"type":\[[^\]]*"null"/);
    expect(doc.components.schemas.Transfer?.properties).toMatchObject({
      from: { anyOf: [{ $ref: '#/components/schemas/UserRef' }, { type: 'null' }] },
      to: { $ref: '#/components/schemas/UserRef' },
    });
  });
});
