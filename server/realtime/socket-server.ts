// Socket.IO on the HTTP server: Redis adapter for cross-instance fan-out, handshake, live commands.
import type { Server as HttpServer } from 'node:http';
import type { AnyPush, ServerToClientEvents } from '@plaza/client/protocol';
import { createAdapter } from '@socket.io/redis-adapter';
import type { Redis } from 'ioredis';
import { Server } from 'socket.io';
import { z } from 'zod';
import type { Actor } from '../auth/actor.ts';
import { userRoom } from '../auth/actor.ts';
import type { Db } from '../db/database.ts';
import type { Logger } from '../lib/logger.ts';
import { onCommand } from './commands.ts';
import { replaySince } from './resume.ts';
import type { PlazaServer, PlazaSocket } from './socket-types.ts';
import type { TopicRegistry } from './topics.ts';

/** Socket messages are bounded like REST bodies; a larger one disconnects that socket. */
export const MAX_SOCKET_MESSAGE_BYTES = 64 * 1024;

export interface SocketDeps {
  db: Db;
  pub: Redis;
  sub: Redis;
  redisPrefix: string;
  publicUrl: URL;
  topics: TopicRegistry;
  logger: Logger;
  /** Resolves the handshake's credentials; null for an anonymous socket. */
  authenticate: (socket: PlazaSocket) => Promise<Actor | null>;
  /** The newest relayed seq, read before anything else (snapshot → stream). */
  currentSeq: () => Promise<number>;
  /** Feature commands (posts, comments, …) are registered here per socket. */
  registerCommands?: (socket: PlazaSocket) => void;
}

const topicsSchema = z.object({
  topics: z.array(z.string().min(1).max(200)).min(1).max(50),
});
const resumeSchema = z.object({ since: z.number().int().min(0) });

export function createSocketServer(httpServer: HttpServer, deps: SocketDeps): PlazaServer {
  const io: PlazaServer = new Server(httpServer, {
    serveClient: false,
    maxHttpBufferSize: MAX_SOCKET_MESSAGE_BYTES,
    pingInterval: 25_000,
    pingTimeout: 20_000,
    cors: { origin: deps.publicUrl.origin, credentials: true },
    adapter: createAdapter(deps.pub, deps.sub, { key: `${deps.redisPrefix}:socket.io` }),
  });

  io.use((socket, next) => {
    deps.authenticate(socket).then(
      (actor) => {
        socket.data.actor = actor;
        socket.data.topics = new Map();
        next();
      },
      (error: unknown) => next(error instanceof Error ? error : new Error('handshake failed')),
    );
  });

  io.on('connection', (socket) => {
    const logger = deps.logger.child({ socketId: socket.id });
    const actor = socket.data.actor;
    if (actor) {
      void socket.join([userRoom(actor.userId), `session:${actor.sessionId}`]);
      // A revocation relayed between the handshake's check and this join found no socket to drop:
      // look again now that the room is joined (any later revocation reaches it through the room).
      deps.db
        .selectFrom('sessions')
        .select('id')
        .where('id', '=', actor.sessionId)
        .executeTakeFirst()
        .then(
          (row) => {
            if (!row) socket.disconnect(true);
          },
          (error: unknown) => logger.warn({ err: error }, 'session re-check failed'),
        );
    }
    registerLiveCommands(socket, deps, logger);
    deps.registerCommands?.(socket);
  });

  return io;
}

function registerLiveCommands(socket: PlazaSocket, deps: SocketDeps, logger: Logger): void {
  onCommand(
    socket,
    'subscribe',
    topicsSchema,
    async ({ topics }) => {
      // All or nothing: resolve every topic before joining any room.
      const resolved = await Promise.all(
        topics.map(async (topic) => [topic, await deps.topics.resolve(topic, socket.data.actor)] as const),
      );
      for (const [topic, rooms] of resolved) socket.data.topics.set(topic, rooms);
      await socket.join(resolved.flatMap(([, rooms]) => rooms));
      return { seq: await deps.currentSeq() };
    },
    logger,
  );

  onCommand(
    socket,
    'unsubscribe',
    topicsSchema,
    async ({ topics }) => {
      for (const topic of topics) socket.data.topics.delete(topic);
      const stillWanted = new Set([...socket.data.topics.values()].flat());
      if (socket.data.actor) {
        stillWanted.add(userRoom(socket.data.actor.userId));
        stillWanted.add(`session:${socket.data.actor.sessionId}`);
      }
      const remaining = [...socket.data.topics.keys()];
      for (const room of socket.rooms) {
        if (room === socket.id || stillWanted.has(room)) continue;
        if (remaining.some((topic) => deps.topics.adopts(topic, room))) continue;
        await socket.leave(room);
      }
      return { seq: await deps.currentSeq() };
    },
    logger,
  );

  onCommand(
    socket,
    'resume',
    resumeSchema,
    async ({ since }) => {
      const rooms = [...socket.rooms].filter((room) => room !== socket.id);
      const seq = await replaySince(deps.db, rooms, since, (push) => emitTo(socket, push));
      return { seq };
    },
    logger,
  );
}

/** Emits a push under its type as the event name; one place where the generic envelope meets typed events. */
export function emitTo(target: { emit: PlazaSocket['emit'] }, push: AnyPush): void {
  (target.emit as (event: keyof ServerToClientEvents, payload: AnyPush) => boolean)(push.type, push);
}
