// The `home` subscription racing a follow: the subscribe reads the followees, a follow commits and moves the
// `home:<me>` sockets (none yet: this one has not joined), then the subscribe joins. Provoked exactly here by
// running the follow inside the first followee read; the subscription must still end in the author's room
// (and, for an unfollow in the same place, out of it).
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Redis } from 'ioredis';
import { type Socket as ClientSocket, io as connect } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Actor } from '../../server/auth/actor.ts';
import { socketAuthenticator } from '../../server/auth/socket-auth.ts';
import type { Deps } from '../../server/deps.ts';
import { createLogger } from '../../server/lib/logger.ts';
import { closeRedis, createRedis } from '../../server/lib/redis.ts';
import { authorRoom, homeRoom } from '../../server/posts/posts.rooms.ts';
import { feedTopics } from '../../server/posts/posts.topics.ts';
import { createSocketServer } from '../../server/realtime/socket-server.ts';
import type { PlazaServer } from '../../server/realtime/socket-types.ts';
import { platformTopics, TopicRegistry } from '../../server/realtime/topics.ts';
import { followUser, unfollowUser } from '../../server/social/social.service.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { createUser, type TestUser } from '../helpers/factories.ts';
import { createInProcessApp, type InProcessApp } from '../helpers/in-process-app.ts';

const PUBLIC_URL = new URL('http://plaza.test');

let ctx: TestContext;
let served: InProcessApp;
let pub: Redis;
let sub: Redis;
let io: PlazaServer;
let url: string;
let deps: Deps;
const clients: ClientSocket[] = [];
/** Runs once, inside the next first read of a `home` subscription's rooms. */
let duringFirstRead: (() => Promise<unknown>) | null = null;
const firstReads: string[][] = [];

beforeAll(async () => {
  ctx = await createTestContext();
  served = createInProcessApp(ctx);
  pub = createRedis(ctx.redisUrl, 'blocking', 'test-pub');
  sub = createRedis(ctx.redisUrl, 'blocking', 'test-sub');
  const home = feedTopics(new TopicRegistry(), { db: ctx.db }).find('home')?.definition;
  if (!home) throw new Error('no home topic');
  // Registered first, so it answers `home`: the real definition with the follow slipped into its read.
  const registry = new TopicRegistry().register({
    ...home,
    rooms: async (param: string, actor: Actor | null) => {
      const rooms = await home.rooms(param, actor);
      const hook = duringFirstRead;
      duringFirstRead = null;
      if (hook) {
        firstReads.push(rooms);
        await hook();
      }
      return rooms;
    },
  });
  const http: HttpServer = createServer();
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  io = createSocketServer(http, {
    db: ctx.db,
    pub,
    sub,
    redisPrefix: ctx.redisPrefix,
    publicUrl: PUBLIC_URL,
    topics: feedTopics(platformTopics(registry), { db: ctx.db }),
    logger: createLogger('silent', 'test'),
    authenticate: socketAuthenticator(ctx.db, PUBLIC_URL),
    currentSeq: async () => 0,
  });
  // The follow's room move applied at once (locally): through the Redis adapter it lands a round trip
  // later, which would hide the race this test provokes behind that delay.
  deps = {
    ...served.deps,
    rooms: {
      join: (holders, room) => io.local.in(holders).socketsJoin(room),
      leave: (holders, room) => io.local.in(holders).socketsLeave(room),
    },
  };
  url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
});

afterAll(async () => {
  for (const socket of clients) socket.close();
  await new Promise<void>((resolve) => io.close(() => resolve()));
  await closeRedis(pub);
  await closeRedis(sub);
  await served.close();
  await ctx.close();
});

async function open(user: TestUser): Promise<ClientSocket> {
  const socket = connect(url, {
    transports: ['websocket'],
    auth: { token: user.token },
    reconnection: false,
  });
  clients.push(socket);
  await new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(undefined));
    socket.once('connect_error', reject);
  });
  return socket;
}

const actorOf = (user: TestUser): Actor => ({
  userId: user.id,
  username: user.username,
  sessionId: user.sessionId,
  role: user.role,
});

/** The rooms of the user's `home` sockets, as the server holds them. */
async function homeRooms(user: TestUser): Promise<Set<string>> {
  const sockets = await io.in(homeRoom(user.id)).fetchSockets();
  expect(sockets).toHaveLength(1);
  return sockets[0]!.rooms;
}

async function subscribeHome(socket: ClientSocket): Promise<void> {
  const reply = (await socket.timeout(5_000).emitWithAck('subscribe', { topics: ['home'] })) as {
    ok: boolean;
  };
  expect(reply.ok).toBe(true);
}

describe('home subscription racing a follow', () => {
  it('ends in the author room of a follow that committed between the followee read and the join', async () => {
    const [reader, author] = [await createUser(ctx.db), await createUser(ctx.db)];
    const socket = await open(reader);
    duringFirstRead = () => followUser(deps, actorOf(reader), { username: author.username });
    await subscribeHome(socket);
    // The race happened: the first read did not have the author, and the follow committed before the join.
    expect(firstReads.at(-1)).not.toContain(authorRoom(author.id));
    expect((await homeRooms(reader)).has(authorRoom(author.id))).toBe(true);
    // It belongs to the subscription: unsubscribing leaves it.
    await socket.timeout(5_000).emitWithAck('unsubscribe', { topics: ['home'] });
    const rooms = (await io.in(`user:${reader.id}`).fetchSockets())[0]!.rooms;
    expect(rooms.has(authorRoom(author.id))).toBe(false);
  });

  it('leaves the author room of an unfollow that committed in the same place', async () => {
    const [reader, author] = [await createUser(ctx.db), await createUser(ctx.db)];
    await followUser(deps, actorOf(reader), { username: author.username });
    const socket = await open(reader);
    duringFirstRead = () => unfollowUser(deps, actorOf(reader), { username: author.username });
    await subscribeHome(socket);
    expect(firstReads.at(-1)).toContain(authorRoom(author.id));
    expect((await homeRooms(reader)).has(authorRoom(author.id))).toBe(false);
  });
});
