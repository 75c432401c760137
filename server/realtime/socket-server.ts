// Socket.IO on the HTTP server: Redis adapter for cross-instance fan-out, handshake, live commands.
import type { Server as HttpServer } from 'node:http';
import type { AnyPush, ServerToClientEvents } from '@plaza/client/protocol';
import { createAdapter } from '@socket.io/redis-adapter';
import type { Redis } from 'ioredis';
import { Server } from 'socket.io';
import { z } from 'zod';
import type { Actor } from '../auth/actor.ts';
import { hasRole, userRoom } from '../auth/actor.ts';
import type { Db } from '../db/database.ts';
import { AppError } from '../lib/errors.ts';
import type { Logger } from '../lib/logger.ts';
import { CommandTable } from './commands.ts';
import { hiddenUsersOf, hideRoom, isHideRoom } from './hide-rooms.ts';
import { replaySince } from './resume.ts';
import type { PlazaServer, PlazaSocket } from './socket-types.ts';
import {
  emptySubscriptions,
  MAX_TOPICS_PER_MESSAGE,
  MODERATORS_ROOM,
  pinRooms,
  roomsToReplay,
  subscribe,
  unsubscribe,
} from './subscriptions.ts';
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
  /**
   * Takes a connection slot for a client address (see SocketsPerAddress): the function giving it back, or
   * null when that address holds its limit. Absent: no limit.
   */
  admitAddress?: (address: string) => Promise<(() => void) | null>;
  /** Behind a trusted proxy the client's address is the first X-Forwarded-For hop. */
  trustProxy?: boolean;
  /**
   * The users whose content a user's sockets must not get (blocks, mutes): joined as `hide:` rooms at
   * connect, before any topic; later changes move the sockets through the relay. Absent: nobody is hidden.
   */
  hiddenUsers?: (userId: string) => Promise<string[]>;
}

const topicsSchema = z.object({
  topics: z.array(z.string().min(1).max(200)).min(1).max(MAX_TOPICS_PER_MESSAGE),
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

  // Before authentication: a flood from one address is refused before it costs a session lookup.
  const { admitAddress } = deps;
  if (admitAddress) {
    io.use((socket, next) => {
      admitAddress(handshakeAddress(socket, deps.trustProxy ?? false)).then(
        (release) => {
          if (!release) return next(tooManyConnections());
          // The transport's close covers every end: a disconnect, a refused handshake, a client gone meanwhile.
          if (socket.conn.readyState === 'closed') release();
          else socket.conn.once('close', release);
          socket.data.releaseAddress = release;
          next();
        },
        (error: unknown) => next(error instanceof Error ? error : new Error('handshake failed')),
      );
    });
  }

  io.use((socket, next) => {
    deps.authenticate(socket).then(
      (actor) => {
        socket.data.actor = actor;
        socket.data.subscriptions = emptySubscriptions();
        next();
      },
      (error: unknown) => {
        // A refused handshake holds no slot, though its transport may stay open to try again.
        socket.data.releaseAddress?.();
        next(error instanceof Error ? error : new Error('handshake failed'));
      },
    );
  });

  io.on('connection', (socket) => {
    const actor = socket.data.actor;
    if (actor) {
      const own = [userRoom(actor.userId), `session:${actor.sessionId}`];
      if (hasRole(actor, 'moderator')) own.push(MODERATORS_ROOM);
      void pinRooms(socket, own);
      // Read after joining the user's room: a change committed meanwhile reaches the socket through it.
      if (deps.hiddenUsers) {
        socket.data.hidden = joinHidden(socket, actor.userId, deps.hiddenUsers, deps.logger);
      }
      // A revocation relayed between the handshake's check and this join found no socket to drop:
      // look again now that the room is joined (any later revocation reaches it through the room).
      recheck.add(actor.sessionId, socket);
    }
    commands.attach(socket);
  });

  return io;
}

/** Joins the socket's `hide:` rooms; a socket that cannot know whom to hide is closed (it would leak). */
async function joinHidden(
  socket: PlazaSocket,
  userId: string,
  hiddenUsers: (userId: string) => Promise<string[]>,
  logger: Logger,
): Promise<void> {
  try {
    const ids = await hiddenUsers(userId);
    if (ids.length > 0) await socket.join(ids.map(hideRoom));
  } catch (error) {
    logger.warn({ err: error, socketId: socket.id }, 'could not read whom a socket hides: disconnected');
    socket.disconnect(true);
  }
}

function handshakeAddress(socket: PlazaSocket, trustProxy: boolean): string {
  if (trustProxy) {
    const forwarded = socket.handshake.headers['x-forwarded-for'];
    const first = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(',')[0]?.trim();
    if (first) return first;
  }
  return socket.handshake.address;
}

/** `connect_error` whose message is the code (what a client can branch on) and whose data is the contract's error. */
function tooManyConnections(): Error {
  const refusal = new AppError('rate_limited', 'Too many connections from this address');
  return Object.assign(new Error('rate_limited'), { data: refusal.toBody().error });
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

  private readonly db: Db;
  private readonly logger: Logger;
  private readonly windowMs: number;

  constructor(db: Db, logger: Logger, windowMs = RECHECK_WINDOW_MS) {
    this.db = db;
    this.logger = logger;
    this.windowMs = windowMs;
  }

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
    async ({ topics }, { socket, actor }) => {
      // No topic before the socket hides whom it must: its first pushes are filtered too.
      await socket.data.hidden;
      await subscribe(deps.topics, socket, actor, topics);
      return { seq: await deps.currentSeq() };
    },
    deps.logger,
  );

  commands.add(
    'unsubscribe',
    topicsSchema,
    async ({ topics }, { socket }) => {
      await unsubscribe(deps.topics, socket, topics);
      return { seq: await deps.currentSeq() };
    },
    deps.logger,
  );

  commands.add(
    'resume',
    resumeSchema,
    async ({ since }, { socket, actor }) => {
      await socket.data.hidden;
      const held = await roomsToReplay(deps.topics, socket, actor);
      // What the socket hides live, it is not replayed either (its `hide:` rooms, current on every instance).
      const rooms = held.filter((room) => !isHideRoom(room));
      const hidden = hiddenUsersOf(held);
      const seq = await replaySince(deps.db, rooms, since, (push) => emitTo(socket, push), hidden);
      return { seq };
    },
    deps.logger,
  );
}

/** Emits a push under its type as the event name; one place where the generic envelope meets typed events. */
export function emitTo(target: { emit: PlazaSocket['emit'] }, push: AnyPush): void {
  (target.emit as (event: keyof ServerToClientEvents, payload: AnyPush) => boolean)(push.type, push);
}
