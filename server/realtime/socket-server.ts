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
import { CommandTable } from './commands.ts';
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
  /** The actor of each command, validated again (see socketActorRefresher); absent: the handshake's. */
  refreshActor?: (socket: PlazaSocket) => Promise<Actor | null>;
  /** The newest relayed seq, read before anything else (snapshot → stream). */
  currentSeq: () => Promise<number>;
  /**
   * Feature commands (posts, comments, …) register here, once per server: `socket` is the server's
   * `CommandTable.registrar`, to be handed to `onCommand` only (handlers get the real socket in their context).
   */
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

  const commands = new CommandTable(deps.refreshActor);
  registerLiveCommands(commands, deps);
  // Feature commands register once for the whole server (see CommandTable), not once per socket.
  deps.registerCommands?.(commands.registrar);
  const recheck = new SessionRecheck(deps.db, deps.logger);

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
    const actor = socket.data.actor;
    if (actor) {
      void socket.join([userRoom(actor.userId), `session:${actor.sessionId}`]);
      // A revocation relayed between the handshake's check and this join found no socket to drop:
      // look again now that the room is joined (any later revocation reaches it through the room).
      recheck.add(actor.sessionId, socket);
    }
    commands.attach(socket);
  });

  return io;
}

/** Milliseconds the post-join session checks of concurrent connections wait to share one query. */
export const RECHECK_WINDOW_MS = 20;
/** At most this many sessions per re-check query. */
const RECHECK_BATCH = 500;

/**
 * The post-join session checks, batched: one `select id from sessions where id in (…)` for the sockets
 * that connected within RECHECK_WINDOW_MS, instead of a query per connection. Each check still runs after
 * its socket joined the session room, which is all the race needs; a revoked socket lives at most the
 * window longer.
 */
export class SessionRecheck {
  private pending = new Map<string, PlazaSocket[]>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly db: Db,
    private readonly logger: Logger,
    private readonly windowMs = RECHECK_WINDOW_MS,
  ) {}

  add(sessionId: string, socket: PlazaSocket): void {
    const sockets = this.pending.get(sessionId);
    if (sockets) sockets.push(socket);
    else this.pending.set(sessionId, [socket]);
    if (this.pending.size >= RECHECK_BATCH) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), this.windowMs);
  }

  private flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const batch = this.pending;
    this.pending = new Map();
    // Sockets gone meanwhile (closed, or the server shutting down) need no check.
    for (const [sessionId, sockets] of batch) {
      const live = sockets.filter((socket) => socket.connected);
      if (live.length === 0) batch.delete(sessionId);
      else batch.set(sessionId, live);
    }
    if (batch.size === 0) return;
    this.db
      .selectFrom('sessions')
      .select('id')
      .where('id', 'in', [...batch.keys()])
      .execute()
      .then(
        (rows) => {
          const alive = new Set(rows.map((row) => row.id));
          for (const [sessionId, sockets] of batch) {
            if (!alive.has(sessionId)) for (const socket of sockets) socket.disconnect(true);
          }
        },
        (error: unknown) => this.logger.warn({ err: error, sessions: batch.size }, 'session re-check failed'),
      );
  }
}

function registerLiveCommands(commands: CommandTable, deps: SocketDeps): void {
  commands.add(
    'subscribe',
    topicsSchema,
    async ({ topics }, { socket }) => {
      // All or nothing: resolve every topic before joining any room.
      const resolved = await Promise.all(
        topics.map(async (topic) => [topic, await deps.topics.resolve(topic, socket.data.actor)] as const),
      );
      for (const [topic, rooms] of resolved) socket.data.topics.set(topic, rooms);
      await socket.join(resolved.flatMap(([, rooms]) => rooms));
      return { seq: await deps.currentSeq() };
    },
    deps.logger,
  );

  commands.add(
    'unsubscribe',
    topicsSchema,
    async ({ topics }, { socket }) => {
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
    deps.logger,
  );

  commands.add(
    'resume',
    resumeSchema,
    async ({ since }, { socket }) => {
      const rooms = [...socket.rooms].filter((room) => room !== socket.id);
      const seq = await replaySince(deps.db, rooms, since, (push) => emitTo(socket, push));
      return { seq };
    },
    deps.logger,
  );
}

/** Emits a push under its type as the event name; one place where the generic envelope meets typed events. */
export function emitTo(target: { emit: PlazaSocket['emit'] }, push: AnyPush): void {
  (target.emit as (event: keyof ServerToClientEvents, payload: AnyPush) => boolean)(push.type, push);
}
