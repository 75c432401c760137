// Fault 6 (sockets and rendering): every socket command fuzzed, anonymous and signed in, acked in the
// contract's shape without a server error; injection strings are stored verbatim and rendered inert.
import type { CommandName, Comment, Post } from '@plaza/client/protocol';
import fc from 'fast-check';
import { sql } from 'kysely';
import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { bearer, createUser, type TestUser } from '../helpers/factories.ts';
import { type PlazaProcess, startServer, stopAll } from '../helpers/processes.ts';
import { errorLines } from './fault-harness.ts';
import {
  COMMAND_NAMES,
  contractErrorProblem,
  INJECTIONS,
  nastyPayload,
  nastyQuery,
  nastySegment,
  nastyValue,
} from './fuzz-values.ts';

const RUNS_PER_COMMAND = 60;
const FUZZ_SEED = Number(process.env.FUZZ_SEED ?? 1_010);
const INJECTION = INJECTIONS[0]!;

let ctx: TestContext;
let server: PlazaProcess;
let member: TestUser;
const sockets: Socket[] = [];

beforeAll(async () => {
  ctx = await createTestContext({
    POSTS_PER_MINUTE: '100000',
    COMMENTS_PER_MINUTE: '100000',
    LIKES_PER_MINUTE: '100000',
    TRANSFERS_PER_MINUTE: '100000',
    EVENT_JOINS_PER_MINUTE: '100000',
    EVENTS_PER_HOUR: '100000',
  });
  server = await startServer(ctx.env, 'fuzz');
  member = await createUser(ctx.db, { displayName: `<b>Mallory</b> ${INJECTION}` });
});

afterAll(async () => {
  for (const s of sockets) s.close();
  await stopAll([server]);
  await ctx?.close();
});

async function connect(token?: string): Promise<Socket> {
  const socket = io(server.url, {
    transports: ['websocket'],
    auth: token ? { token } : {},
    reconnection: false,
  });
  sockets.push(socket);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  return socket;
}

async function json<T>(
  method: string,
  path: string,
  user: TestUser | null,
  body?: unknown,
): Promise<[number, T]> {
  const res = await fetch(`${server.url}/api/v1${path}`, {
    method,
    headers: {
      ...(user ? bearer(user) : {}),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return [res.status, (await res.json()) as T];
}

/** The fields of each command, filled with hostile or real values: shaped right, so they reach the services. */
const FIELDS_OF: Record<CommandName, string[]> = {
  subscribe: ['topics'],
  unsubscribe: ['topics'],
  resume: ['since'],
  presence: ['topic'],
  'post:create': ['body'],
  'post:update': ['id', 'body'],
  'post:delete': ['id'],
  'comment:create': ['postId', 'body'],
  'comment:delete': ['id'],
  'post:like': ['postId'],
  'post:unlike': ['postId'],
  'user:follow': ['username'],
  'user:unfollow': ['username'],
  'user:block': ['username'],
  'user:unblock': ['username'],
  'user:mute': ['username', 'expiresAt'],
  'user:unmute': ['username'],
  'event:join': ['eventId'],
  'event:leave': ['eventId'],
  'transfer:create': ['to', 'amountCents', 'memo', 'idempotencyKey'],
  'notification:read': ['id'],
  'report:create': ['target', 'category', 'comment'],
};

function shapedPayload(name: CommandName, real: string[]): fc.Arbitrary<unknown> {
  const value = fc.oneof(
    nastyValue,
    fc.constantFrom(...real),
    fc.string({ unit: 'grapheme', minLength: 1, maxLength: 30 }),
    fc.array(
      fc.oneof(fc.constantFrom('feed', 'me', 'home', 'events', ...real.map((r) => `post:${r}`)), fc.string()),
      {
        maxLength: 60,
      },
    ),
  );
  const fields = FIELDS_OF[name];
  return fc.record(Object.fromEntries(fields.map((f) => [f, value])), { requiredKeys: fields.slice(0, 1) });
}

/** What an ack must be: `{ ok: true, data }` or `{ ok: false, error }` in the contract's error shape. */
function ackProblem(ack: unknown): string | null {
  if (typeof ack !== 'object' || ack === null) return `ack ${JSON.stringify(ack)}`;
  const a = ack as { ok?: unknown; data?: unknown; error?: unknown };
  if (a.ok === true) return 'data' in a ? null : 'ok without data';
  if (a.ok !== false) return `ok is ${String(a.ok)}`;
  const problem = contractErrorProblem({ error: a.error });
  if (problem) return problem;
  return (a.error as { code: string }).code === 'internal' ? 'internal error' : null;
}

describe('socket command fuzzing', () => {
  it('acks every command, under hostile input, in the contract shape — never internal, never a crash', async () => {
    const codes = new Map<string, number>();
    const [, target] = await json<Post>('POST', '/posts', member, { body: 'a post to fuzz around' });
    const real = [target.id, member.username, String(target.id).slice(0, 8), '0'];
    for (const name of COMMAND_NAMES) {
      // Fresh sockets per command: each socket has a command budget (20/s), and the fuzz runs flat out.
      const anonymous = await connect();
      const signedIn = await connect(member.token);
      const payloads = fc.oneof(nastyPayload, shapedPayload(name, real), shapedPayload(name, real));
      await fc.assert(
        fc.asyncProperty(fc.boolean(), payloads, async (asMember, payload) => {
          const socket = asMember ? signedIn : anonymous;
          const ack: unknown = await socket.timeout(5_000).emitWithAck(name, payload);
          const problem = ackProblem(ack);
          expect(
            problem,
            `${name} ${JSON.stringify(payload).slice(0, 300)} → ${JSON.stringify(ack).slice(0, 300)}`,
          ).toBeNull();
          const code = (ack as { ok: boolean; error?: { code: string } }).error?.code ?? 'ok';
          codes.set(code, (codes.get(code) ?? 0) + 1);
        }),
        { numRuns: RUNS_PER_COMMAND, seed: FUZZ_SEED, endOnFailure: true },
      );
      expect(anonymous.connected && signedIn.connected).toBe(true);
      anonymous.close();
      signedIn.close();
    }
    // Commands without an ack, with no argument at all, or unknown: ignored, the socket stays usable.
    const signedIn = await connect(member.token);
    for (const name of [...COMMAND_NAMES, 'no-such-command', 'disconnect-me']) {
      signedIn.emit(name, { body: 'no ack' });
      signedIn.emit(name);
    }
    expect(ackProblem(await signedIn.timeout(5_000).emitWithAck('post:create'))).toBeNull();
    expect(await signedIn.timeout(5_000).emitWithAck('subscribe', { topics: ['feed'] })).toMatchObject({
      ok: true,
    });
    console.log(
      `socket fuzz: ${COMMAND_NAMES.length} commands × ${RUNS_PER_COMMAND} runs; acks ${JSON.stringify(Object.fromEntries(codes))}`,
    );
    // The budget was never what answered: the inputs reached validation and the services.
    expect(codes.get('rate_limited') ?? 0).toBe(0);
    expect(signedIn.connected).toBe(true);
    expect(server.exit).toBeNull();
    expect(errorLines([server])).toEqual([]);
  });
});

const PAGES = [
  '/',
  '/posts/:x',
  '/u/:x',
  '/events',
  '/events/:x',
  '/wallet',
  '/notifications',
  '/login',
  '/register',
  '/verify',
  '/reset-password',
];

describe('page fuzzing', () => {
  it('renders every page, for hostile path segments and queries, anonymous or signed in, without a 500', async () => {
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...PAGES),
        nastySegment,
        nastyQuery,
        fc.boolean(),
        async (page, segment, query, signedIn) => {
          const url = new URL(page.replace(':x', encodeURIComponent(segment)), server.url);
          for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
          const res = await fetch(url, { headers: signedIn ? bearer(member) : {} });
          statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
          await res.text();
          expect(res.status, `${url.pathname}${url.search}`).toBeLessThan(500);
        },
      ),
      { numRuns: 150, seed: FUZZ_SEED, endOnFailure: true },
    );
    console.log(`page fuzz: statuses ${JSON.stringify(Object.fromEntries(statuses))}`);
    expect(errorLines([server])).toEqual([]);
  });
});

describe('injection strings', () => {
  it('are stored byte-identical, come back verbatim by API and socket, and render escaped in pages', async () => {
    const [status, post] = await json<Post>('POST', '/posts', member, { body: INJECTION });
    expect(status).toBe(201);
    expect(post.body).toBe(INJECTION);
    const [, read] = await json<Post>('GET', `/posts/${post.id}`, null);
    expect(read.body).toBe(INJECTION);
    expect(read.author.displayName).toBe(member.displayName);
    const stored = await ctx.db
      .selectFrom('posts')
      .select('body')
      .where('id', '=', post.id)
      .executeTakeFirstOrThrow();
    expect(Buffer.from(stored.body).equals(Buffer.from(INJECTION))).toBe(true);

    const [commentStatus] = await json<Comment>('POST', `/posts/${post.id}/comments`, member, {
      body: INJECTIONS[6],
    });
    expect(commentStatus).toBe(201);
    const socket = await connect(member.token);
    const viaSocket = (await socket.timeout(5_000).emitWithAck('post:create', { body: INJECTIONS[1] })) as {
      ok: boolean;
      data: Post;
    };
    expect(viaSocket.data.body).toBe(INJECTIONS[1]);

    const page = await fetch(`${server.url}/posts/${post.id}`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(html).toContain('&lt;b&gt;Mallory&lt;/b&gt;');
    expect(html).not.toContain('<script>alert(1)');
    expect(html).not.toContain('<img src=x');
    expect(html).not.toContain('<b>Mallory');
    // And the CSP would stop an inline script even if one slipped through.
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");

    const { rows } = await sql<{ users: string | null; posts: string | null }>`
      select to_regclass('public.users')::text as users, to_regclass('public.posts')::text as posts`.execute(
      ctx.db,
    );
    expect(rows[0]).toEqual({ users: 'users', posts: 'posts' });
    const users = await ctx.db.selectFrom('users').select('id').where('id', '=', member.id).execute();
    expect(users).toHaveLength(1);
    expect(errorLines([server])).toEqual([]);
  });
});
