// The socket server's per-connection machinery, in-process on real PostgreSQL and Redis: commands registered
// once per server (one table shared by every socket) and the batched post-join session re-check.
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Redis } from 'ioredis';
import { type Socket as ClientSocket, io as connect } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { Actor } from '../../server/auth/actor.ts';
import { socketAuthenticator } from '../../server/auth/socket-auth.ts';
import type { Db } from '../../server/db/database.ts';
import { createLogger } from '../../server/lib/logger.ts';
import { closeRedis, createRedis } from '../../server/lib/redis.ts';
import { CommandTable, onCommand } from '../../server/realtime/commands.ts';
import { createSocketServer, RECHECK_WINDOW_MS } from '../../server/realtime/socket-server.ts';
import type { PlazaServer, PlazaSocket } from '../../server/realtime/socket-types.ts';
import { platformTopics, TopicRegistry } from '../../server/realtime/topics.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { createUser, type TestUser } from '../helpers/factories.ts';
import { sleep, waitFor } from '../helpers/wait.ts';

const PUBLIC_URL = new URL('http://plaza.test');
const logger = createLogger('silent', 'test');

let ctx: TestContext;
let pub: Redis;
let sub: Redis;

beforeAll(async () => {
  ctx = await createTestContext();
  pub = createRedis(ctx.redisUrl, 'blocking', 'test-pub');
  sub = createRedis(ctx.redisUrl, 'blocking', 'test-sub');
});

afterAll(async () => {
  await closeRedis(pub);
  await closeRedis(sub);
  await ctx.close();
});

interface Started {
  io: PlazaServer;
  url: string;
  close: () => Promise<void>;
}

async function startSocketServer(options: {
  db?: Db;
  authenticate?: (socket: PlazaSocket) => Promise<Actor | null>;
  registerCommands?: (socket: PlazaSocket) => void;
}): Promise<Started> {
  const http: HttpServer = createServer();
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const io = createSocketServer(http, {
    db: options.db ?? ctx.db,
    pub,
    sub,
    redisPrefix: ctx.redisPrefix,
    publicUrl: PUBLIC_URL,
    topics: platformTopics(new TopicRegistry()),
    logger,
    authenticate: options.authenticate ?? socketAuthenticator(ctx.db, PUBLIC_URL),
    currentSeq: async () => 0,
    ...(options.registerCommands ? { registerCommands: options.registerCommands } : {}),
  });
  return {
    io,
    url: `http://127.0.0.1:${(http.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => io.close(() => resolve())),
  };
}

const clients: ClientSocket[] = [];

function open(url: string, token: string): Promise<ClientSocket> {
  const socket = connect(url, { transports: ['websocket'], auth: { token }, reconnection: false });
  clients.push(socket);
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', reject);
  });
}

const ask = (socket: ClientSocket, event: string, ...args: unknown[]) =>
  socket.timeout(5_000).emitWithAck(event, ...args) as Promise<{
    ok: boolean;
    data?: unknown;
    error?: { code: string };
  }>;

afterAll(() => {
  for (const socket of clients) socket.close();
});

describe('socket commands', () => {
  it('registers feature commands once per server and runs them for every socket, as that socket', async () => {
    let registrations = 0;
    const server = await startSocketServer({
      registerCommands: (socket) => {
        registrations += 1;
        onCommand(
          socket,
          'notification:read',
          z.object({ id: z.string() }),
          async (input, { actor, socket: caller }) =>
            ({ id: input.id, by: actor?.username, socketId: caller.id }) as never,
          logger,
        );
      },
    });
    try {
      const users = await Promise.all([createUser(ctx.db), createUser(ctx.db), createUser(ctx.db)]);
      const sockets = await Promise.all(users.map((user) => open(server.url, user.token)));
      const answers = await Promise.all(
        sockets.map((socket, i) => ask(socket, 'notification:read', { id: `n${i}` })),
      );
      expect(answers).toEqual(
        sockets.map((socket, i) => ({
          ok: true,
          data: { id: `n${i}`, by: users[i]!.username, socketId: socket.id },
        })),
      );
      expect(registrations).toBe(1);
      // The platform's own commands share the table: subscribe answers, a payload-less command is refused.
      expect(await ask(sockets[0]!, 'subscribe', { topics: ['feed'] })).toEqual({
        ok: true,
        data: { seq: 0 },
      });
      expect((await ask(sockets[0]!, 'notification:read')).error?.code).toBe('validation_failed');
      // An event naming no command is ignored; the socket keeps working.
      sockets[1]!.emit('no such command', { x: 1 });
      expect((await ask(sockets[1]!, 'notification:read', { id: 'after' })).ok).toBe(true);
    } finally {
      await server.close();
    }
  });

  it('refuses to register one command twice in a table', () => {
    const table = new CommandTable();
    const handler = async () => ({}) as never;
    onCommand(table.registrar, 'notification:read', z.object({ id: z.string() }), handler, logger);
    expect(() =>
      onCommand(table.registrar, 'notification:read', z.object({ id: z.string() }), handler, logger),
    ).toThrow(/registered twice/);
  });
});

describe('post-join session re-check', () => {
  it('drops a socket whose session was revoked between the handshake check and the join, in one query per batch', async () => {
    // The revocation lands right after the handshake validated the session: nothing is relayed to a room
    // the socket has not joined yet, so only the re-check can catch it.
    const authenticate = socketAuthenticator(ctx.db, PUBLIC_URL);
    const revoked = new Set<string>();
    let recheckQueries = 0;
    const counting = ctx.db.withPlugin({
      transformQuery: (args) => {
        recheckQueries += 1;
        return args.node;
      },
      transformResult: async (args) => args.result,
    });
    const server = await startSocketServer({
      db: counting,
      authenticate: async (socket) => {
        const actor = await authenticate(socket);
        if (actor && revoked.has(actor.sessionId)) {
          await ctx.db.deleteFrom('sessions').where('id', '=', actor.sessionId).execute();
        }
        return actor;
      },
    });
    try {
      const users: TestUser[] = [];
      for (let i = 0; i < 12; i++) users.push(await createUser(ctx.db));
      for (const user of users.slice(0, 4)) revoked.add(user.sessionId);
      const sockets = await Promise.all(users.map((user) => open(server.url, user.token)));

      await waitFor(() => sockets.slice(0, 4).every((socket) => !socket.connected), {
        what: 'the 4 revoked sockets to be dropped',
      });
      await sleep(RECHECK_WINDOW_MS * 3);
      expect(sockets.slice(4).every((socket) => socket.connected)).toBe(true);
      // Twelve connections at once, checked together rather than one query each.
      expect(recheckQueries).toBeGreaterThan(0);
      expect(recheckQueries).toBeLessThan(users.length);
    } finally {
      await server.close();
    }
  });
});
