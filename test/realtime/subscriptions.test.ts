// Subscriptions of one socket, in-process on real PostgreSQL and Redis: topic ids are normalised (one post,
// one room), a socket holds a bounded number of topics, and one subscribe costs one lookup per kind.
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Redis } from 'ioredis';
import { type Socket as ClientSocket, io as connect } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { socketAuthenticator } from '../../server/auth/socket-auth.ts';
import type { Db } from '../../server/db/database.ts';
import { eventTopics } from '../../server/events/events.rooms.ts';
import { forbidden } from '../../server/lib/errors.ts';
import { newId } from '../../server/lib/ids.ts';
import { createLogger } from '../../server/lib/logger.ts';
import { closeRedis, createRedis } from '../../server/lib/redis.ts';
import { feedTopics } from '../../server/posts/posts.topics.ts';
import { createSocketServer } from '../../server/realtime/socket-server.ts';
import type { PlazaServer } from '../../server/realtime/socket-types.ts';
import { exactTopic, platformTopics, TopicRegistry } from '../../server/realtime/topics.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { createUser, type TestUser } from '../helpers/factories.ts';

const PUBLIC_URL = new URL('http://plaza.test');
const logger = createLogger('silent', 'test');

let ctx: TestContext;
let pub: Redis;
let sub: Redis;
let io: PlazaServer;
let url: string;
let author: TestUser;
/** SQL statements run through the socket server's database, by the table they read. */
const statements: string[] = [];
const clients: ClientSocket[] = [];
let withdrawnLooks = 0;

beforeAll(async () => {
  ctx = await createTestContext();
  pub = createRedis(ctx.redisUrl, 'blocking', 'test-pub');
  sub = createRedis(ctx.redisUrl, 'blocking', 'test-sub');
  const counting: Db = ctx.db.withPlugin({
    transformQuery: (args) => {
      statements.push(ctx.db.getExecutor().compileQuery(args.node, args.queryId).sql);
      return args.node;
    },
    transformResult: async (args) => args.result,
  });
  const http: HttpServer = createServer();
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  io = createSocketServer(http, {
    db: counting,
    pub,
    sub,
    redisPrefix: ctx.redisPrefix,
    publicUrl: PUBLIC_URL,
    topics: eventTopics(feedTopics(platformTopics(new TopicRegistry()), { db: counting }), counting).register(
      {
        // Allowed at the first look, refused at the next: access withdrawn while the subscribe joined.
        match: exactTopic('withdrawn'),
        rooms: () => {
          withdrawnLooks += 1;
          if (withdrawnLooks > 1) throw forbidden('Withdrawn');
          return ['withdrawn-room'];
        },
        revocable: true,
      },
    ),
    logger,
    authenticate: socketAuthenticator(ctx.db, PUBLIC_URL),
    currentSeq: async () => 0,
  });
  url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  author = await createUser(ctx.db);
});

afterAll(async () => {
  for (const socket of clients) socket.close();
  await new Promise<void>((resolve) => io.close(() => resolve()));
  await closeRedis(pub);
  await closeRedis(sub);
  await ctx.close();
});

function open(token?: string): Promise<ClientSocket> {
  const socket = connect(url, {
    transports: ['websocket'],
    auth: token ? { token } : {},
    reconnection: false,
  });
  clients.push(socket);
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', reject);
  });
}

type Reply = { ok: boolean; data?: unknown; error?: { code: string; message: string; details?: unknown } };
const ask = (socket: ClientSocket, event: string, payload: unknown) =>
  socket.timeout(5_000).emitWithAck(event, payload) as Promise<Reply>;

async function insertPosts(n: number): Promise<string[]> {
  const ids = Array.from({ length: n }, () => newId());
  await ctx.db
    .insertInto('posts')
    .values(ids.map((id) => ({ id, author_id: author.id, body: `post ${id}` })))
    .execute();
  return ids;
}

/** Every room of the server that names one of these posts, whatever its spelling. */
const roomsOfPosts = (ids: string[]) =>
  [...io.of('/').adapter.rooms.keys()].filter((room) =>
    ids.some((id) => room.toLowerCase() === `post:${id.toLowerCase()}`),
  );

const mixedCase = (id: string) =>
  [...id].map((c, i) => (i % 2 === 0 ? c.toUpperCase() : c.toLowerCase())).join('');

describe('topic ids', () => {
  it('subscribing to one post under different letter cases joins one room, and unsubscribing any spelling leaves it', async () => {
    const [postId] = await insertPosts(1);
    const socket = await open();
    const spellings = [postId!, postId!.toUpperCase(), mixedCase(postId!)].map((id) => `post:${id}`);
    expect((await ask(socket, 'subscribe', { topics: spellings })).ok).toBe(true);
    expect(roomsOfPosts([postId!])).toEqual([`post:${postId}`]);
    expect(io.of('/').adapter.rooms.get(`post:${postId}`)?.size).toBe(1);

    expect((await ask(socket, 'subscribe', { topics: [`post:${postId!.toUpperCase()}`] })).ok).toBe(true);
    expect(roomsOfPosts([postId!])).toEqual([`post:${postId}`]);
    expect((await ask(socket, 'unsubscribe', { topics: [`post:${mixedCase(postId!)}`] })).ok).toBe(true);
    expect(roomsOfPosts([postId!])).toEqual([]);
  });
});

describe('topics per socket', () => {
  it('refuses the 101st distinct topic with validation_failed naming the limit, counting the ones held', async () => {
    const ids = await insertPosts(101);
    const socket = await open();
    for (let i = 0; i < 100; i += 50) {
      const topics = ids.slice(i, i + 50).map((id) => `post:${id}`);
      expect((await ask(socket, 'subscribe', { topics })).ok).toBe(true);
    }
    // The same ids again, in other letter cases, are the same topics: nothing new is held.
    const again = await ask(socket, 'subscribe', {
      topics: ids.slice(0, 50).map((id) => `post:${id.toUpperCase()}`),
    });
    expect(again.ok).toBe(true);

    const refused = await ask(socket, 'subscribe', { topics: [`post:${ids[100]}`] });
    expect(refused.ok).toBe(false);
    expect(refused.error?.code).toBe('validation_failed');
    expect(refused.error?.message).toMatch(/100/);
    expect(refused.error?.details).toMatchObject({ limit: 100 });
    expect(roomsOfPosts([ids[100]!])).toEqual([]);

    // Room is made by leaving one.
    expect((await ask(socket, 'unsubscribe', { topics: [`post:${ids[0]}`] })).ok).toBe(true);
    expect((await ask(socket, 'subscribe', { topics: [`post:${ids[100]}`] })).ok).toBe(true);

    // One message is bounded too, whatever the socket holds.
    const topics = Array.from({ length: 101 }, () => `post:${newId()}`);
    expect((await ask(await open(), 'subscribe', { topics })).error?.code).toBe('validation_failed');
    expect((await ask(socket, 'unsubscribe', { topics })).error?.code).toBe('validation_failed');
  });
});

describe('lookups', () => {
  it('checks the posts and events of one subscribe with one query per kind', async () => {
    const ids = await insertPosts(40);
    const user = await createUser(ctx.db);
    const socket = await open(user.token);
    const events = Array.from({ length: 10 }, () => newId());
    const starts = new Date(Date.now() + 3_600_000);
    await ctx.db
      .insertInto('events')
      .values(
        events.map((id) => ({
          id,
          organizer_id: author.id,
          title: 'Meetup',
          description: 'A meetup',
          starts_at: starts,
          ends_at: new Date(starts.getTime() + 3_600_000),
          capacity: null,
          reject_reason: null,
        })),
      )
      .execute();
    statements.length = 0;
    const topics = [...ids.map((id) => `post:${id}`), ...events.map((id) => `event:${id}`)];
    expect((await ask(socket, 'subscribe', { topics })).ok).toBe(true);
    const reads = (table: string) => statements.filter((s) => new RegExp(`from "?${table}"?\\b`).test(s));
    // 40 posts: one query. 10 events: one, and one more once joined (a rejection may have raced the join).
    expect(reads('posts')).toHaveLength(1);
    expect(reads('events').length).toBeLessThanOrEqual(2);
  });
});

describe('access withdrawn', () => {
  it('refuses a subscribe whose topic was withdrawn while it joined, and leaves its rooms', async () => {
    const socket = await open();
    const reply = await ask(socket, 'subscribe', { topics: ['feed', 'withdrawn'] });
    expect(reply.error?.code).toBe('forbidden');
    expect(withdrawnLooks).toBe(2);
    expect(io.of('/').adapter.rooms.get('withdrawn-room')).toBeUndefined();
    // All or nothing: the other topic of that subscribe was given up too.
    expect(io.of('/').adapter.rooms.get('feed')?.has(socket.id!) ?? false).toBe(false);
  });

  it('drops an event topic rejected since the subscribe before replaying', async () => {
    const member = await createUser(ctx.db);
    const socket = await open(member.token);
    const id = newId();
    const starts = new Date(Date.now() + 3_600_000);
    await ctx.db
      .insertInto('events')
      .values({
        id,
        organizer_id: author.id,
        title: 'Soon hidden',
        description: 'A meetup',
        starts_at: starts,
        ends_at: new Date(starts.getTime() + 3_600_000),
        capacity: null,
        reject_reason: null,
      })
      .execute();
    expect((await ask(socket, 'subscribe', { topics: [`event:${id.toUpperCase()}`] })).ok).toBe(true);
    expect(io.of('/').adapter.rooms.get(`event:${id}`)?.size).toBe(1);
    // Rejected behind the socket's back (no relay runs here to withdraw it live).
    await ctx.db
      .updateTable('events')
      .set({ status: 'rejected', reject_reason: 'spam' })
      .where('id', '=', id)
      .execute();
    expect((await ask(socket, 'resume', { since: 0 })).ok).toBe(true);
    expect(io.of('/').adapter.rooms.get(`event:${id}`)).toBeUndefined();
  });
});
