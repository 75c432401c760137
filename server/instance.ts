// One server instance: database, Redis, HTTP + Socket.IO on one port, and a relay candidate.
import { randomUUID } from 'node:crypto';
import type { Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { createApp } from './app.ts';
import { userRoom } from './auth/actor.ts';
import { closePasswordHashing, configurePasswordHashing } from './auth/passwords.ts';
import { SessionCache } from './auth/session-cache.ts';
import { ROLE_CHANGED } from './auth/sessions.ts';
import { socketActorRefresher, socketAuthenticator } from './auth/socket-auth.ts';
import type { Config } from './config.ts';
import { createDb } from './db/database.ts';
import type { Deps, RoomControl } from './deps.ts';
import { eventTopics, withdrawRejectedEvent } from './events/events.rooms.ts';
import { registerEventCommands } from './events/events.socket.ts';
import { Queues } from './jobs/queues.ts';
import type { Logger } from './lib/logger.ts';
import { closeRedis, createRedis } from './lib/redis.ts';
import { within } from './lib/timeout.ts';
import { mediaStoreOf } from './media/store.factory.ts';
import { createServerMetrics } from './metrics/server.metrics.ts';
import { moderationTopics } from './moderation/moderation.topic.ts';
import { registerReportCommands } from './moderation/reports.socket.ts';
import { registerNotificationCommands } from './notifications/notifications.socket.ts';
import { loadAssets } from './pages/assets.ts';
import { feedTopics, registerFeedCommands } from './posts/posts.feature.ts';
import { registerPresenceCommands } from './presence/presence.socket.ts';
import { Presence } from './presence/presence.ts';
import { isPresenceTopic } from './presence/presence-keys.ts';
import { hideRoom } from './realtime/hide-rooms.ts';
import { Relay } from './realtime/relay.ts';
import { listenForWakeups, RelayWaker } from './realtime/relay-waker.ts';
import { SeqTracker } from './realtime/seq-tracker.ts';
import { createSocketServer, emitTo } from './realtime/socket-server.ts';
import type { PlazaServer } from './realtime/socket-types.ts';
import { SocketsPerAddress } from './realtime/sockets-per-address.ts';
import { resumeSocketsAfterSubscriptionLoss } from './realtime/subscription-recovery.ts';
import { platformTopics, TopicRegistry } from './realtime/topics.ts';
import { applyHideChange, listenForHideChanges } from './safety/safety.events.ts';
import { hiddenFrom } from './safety/safety.service.ts';
import { registerSafetyCommands } from './safety/safety.socket.ts';
import { registerWalletCommands } from './wallet/wallet.socket.ts';

export interface Instance {
  port: number;
  close: () => Promise<void>;
}

/** How long Redis may take to confirm a relay batch before the relay steps down (and a leader re-emits). */
const CONFIRM_TIMEOUT_MS = 3_000;

export async function startInstance(config: Config, logger: Logger): Promise<Instance> {
  await configurePasswordHashing({ threads: config.passwordHashThreads });
  const redis = createRedis(config.redisUrl, 'commands', 'plaza-server', logger);
  const relayWaker = new RelayWaker(redis, config.redisPrefix);
  const db = createDb({
    url: config.databaseUrl,
    poolSize: config.databasePoolSize,
    applicationName: 'plaza-server',
    onError: (error) => logger.warn({ err: error }, 'idle database connection lost'),
    // Requests run short queries: past 5 s the database is unreachable, answer 503 rather than hang.
    queryTimeoutMs: 5_000,
    onEventsCommitted: relayWaker.eventsCommitted,
  });
  // The adapter needs its own pair: a subscriber connection can run nothing else.
  const pub = createRedis(config.redisUrl, 'publisher', 'plaza-adapter-pub', logger);
  const sub = createRedis(config.redisUrl, 'blocking', 'plaza-adapter-sub', logger);

  // BullMQ defines its ~60 Lua scripts on the connection it is given, and ioredis copies every script of a
  // connection onto each (auto)pipeline it builds (~150 µs apiece): on the request path's connection that was
  // paid by every rate-limit check and CAPTCHA. The producers get a connection of their own.
  const queueRedis = createRedis(config.redisUrl, 'commands', 'plaza-queues', logger);
  const queues = new Queues(queueRedis, config.redisPrefix);
  // Sockets are moved between rooms adapter-wide (every instance); io exists only once HTTP listens.
  let roomServer: PlazaServer | null = null;
  const rooms: RoomControl = {
    join: (holders, room) => roomServer?.in(holders).socketsJoin(room),
    leave: (holders, room) => roomServer?.in(holders).socketsLeave(room),
  };
  // One subscriber for what instances tell each other: emitted seqs, relay wake-ups, forgotten sessions.
  const seqSubscriber = createRedis(config.redisUrl, 'blocking', 'plaza-seq-sub', logger);
  const sessionCache = new SessionCache({
    publisher: redis,
    subscriber: seqSubscriber,
    redisPrefix: config.redisPrefix,
    logger,
    ttlMs: config.sessionCacheSeconds * 1_000,
  });
  sessionCache.start();
  const deps: Deps = { config, db, redis, queues, logger, rooms, sessionCache };

  let draining = false;
  // Announced on the adapter's connection, once Redis has confirmed the batch (the relay's onEmitted):
  // it never gives up a message, and the announcement pipelines with the next batch's pushes.
  const seqTracker = new SeqTracker(db, seqSubscriber, pub, config.redisPrefix);
  await seqTracker.start();
  const currentSeq = () => seqTracker.current();
  let relay: Relay | null = null;
  const isRelayLeader = () => relay?.isLeader ?? false;
  const metrics = createServerMetrics({
    queues,
    localSockets: () => roomServer?.of('/').sockets.size ?? 0,
    isRelayLeader,
  });

  const app = createApp({
    ...deps,
    assets: await loadAssets(),
    currentSeq,
    isDraining: () => draining,
    isRelayLeader,
    metrics,
    // Asks every instance through the adapter; a dead one drops out once its Redis subscription does.
    connectedSockets: async () => (roomServer ? (await roomServer.fetchSockets()).length : 0),
  });

  // A port in use (or not allowed) is a start-up failure with a clear log line, not an unhandled 'error'.
  const httpServer = await new Promise<HttpServer>((resolve, reject) => {
    const server = serve({ fetch: app.fetch, port: config.port, hostname: config.host }, () =>
      resolve(server as HttpServer),
    ) as HttpServer;
    server.once('error', reject);
  });
  const port = (httpServer.address() as AddressInfo).port;

  const socketsPerAddress = new SocketsPerAddress({
    redis,
    redisPrefix: config.redisPrefix,
    instanceId: randomUUID(),
    limit: config.socketsPerAddress,
    logger,
  });
  socketsPerAddress.start();
  const topics = moderationTopics(eventTopics(feedTopics(platformTopics(new TopicRegistry()), deps), db));
  // Who watches what, across instances: fed by the adapter's room joins and leaves (below).
  const presence = new Presence({
    redis,
    redisPrefix: config.redisPrefix,
    instanceId: randomUUID(),
    userOf: (socketId) => roomServer?.of('/').sockets.get(socketId)?.data.actor?.userId ?? null,
    push: (stats) => roomServer?.to(stats.topic).emit('presence:stats', stats),
    logger,
  });
  const io = createSocketServer(httpServer, {
    db,
    pub,
    sub,
    redisPrefix: config.redisPrefix,
    publicUrl: config.publicUrl,
    topics,
    logger,
    authenticate: socketAuthenticator(db, config.publicUrl, sessionCache),
    refreshActor: socketActorRefresher(db, sessionCache),
    admitAddress: (address) => socketsPerAddress.admit(address),
    trustProxy: config.trustProxy,
    currentSeq,
    // Feature socket commands register here, each with the same deps as its routes.
    registerCommands: (socket) => {
      registerFeedCommands(socket, deps);
      registerEventCommands(socket, deps);
      registerNotificationCommands(socket, deps);
      registerWalletCommands(socket, deps);
      registerReportCommands(socket, deps);
      registerSafetyCommands(socket, deps);
      registerPresenceCommands(socket, { presence, topics, db, urls: mediaStoreOf(config), logger });
    },
    hiddenUsers: (userId) => hiddenFrom(db, userId),
  });

  roomServer = io;
  // A presence topic's room is its canonical name; a disconnect leaves every room, so it is counted out too.
  if (config.presence) {
    const adapter = io.of('/').adapter;
    adapter.on('join-room', (room: string, id: string) => {
      if (isPresenceTopic(room)) presence.joined(room, id);
    });
    adapter.on('leave-room', (room: string, id: string) => {
      if (isPresenceTopic(room)) presence.left(room, id);
    });
    presence.start();
  }
  listenForHideChanges(io, db);
  resumeSocketsAfterSubscriptionLoss(sub, io, logger);

  relay = new Relay({
    databaseUrl: config.databaseUrl,
    logger: logger.child({ component: 'relay' }),
    emit: (rooms, push, actorId) => {
      // A role change is for the instances, not for clients: every instance forgets the user's sessions
      // and their sockets, whose rooms were joined with the old role, are dropped everywhere.
      if ((push.type as string) === ROLE_CHANGED) {
        const { userId } = push.data as unknown as { userId: string };
        io.in(userRoom(userId)).disconnectSockets(true);
        void sessionCache.forget({ userIds: [userId] });
        return;
      }
      // A block or mute changed: the pair's sockets join or leave `hide:` rooms everywhere, before what follows.
      if (applyHideChange(io, db, push)) return;
      // Sockets whose user must not hear from the actor are left out by the adapter, on every instance.
      emitTo(actorId ? io.to(rooms).except(hideRoom(actorId)) : io.to(rooms), push);
      metrics.pushEmitted(push.type);
      // Right behind the rejection (same connection, in order): who may no longer see the event leaves its room.
      if (push.type === 'event:updated') withdrawRejectedEvent(io, push.data.event);
      // A revoked session hears why, then loses its sockets on every instance (same Redis channel, in order).
      // The revocation's request told every instance to forget the session already; this second word,
      // from the durable event log, covers a request whose own message could not be published.
      if (push.type === 'session:revoked') {
        io.in(rooms).disconnectSockets(true);
        void sessionCache.forget({ sessionIds: [push.data.sessionId] });
      }
    },
    canEmit: () => pub.status === 'ready',
    // The adapter's publishes leave in a pipeline after this turn of the event loop; a PING behind them
    // on the same connection answers once Redis has them all.
    confirmEmitted: async () => {
      await within(pub.ping(), CONFIRM_TIMEOUT_MS, "Redis's confirmation of a relay batch");
    },
    onEmitted: (seq, rows, lagMs) => {
      seqTracker.announce(seq);
      metrics.relayBatch(rows, lagMs);
    },
  });
  relayWaker.attach(relay);
  listenForWakeups(seqSubscriber, config.redisPrefix, relay);
  relay.start();

  logger.info({ port, host: config.host }, 'listening');

  const close = async () => {
    draining = true;
    await relay?.stop();
    // Stop accepting, disconnect sockets (clients reconnect elsewhere), let in-flight requests finish.
    const httpClosed = new Promise<void>((resolve) => httpServer.close(() => resolve()));
    io.disconnectSockets(true);
    io.engine.close();
    // Its watchers leave the numbers now, not when their hashes expire (pushed to the other instances).
    await presence.stop();
    // Keep-alive connections turn idle as their last response leaves; close each as soon as it does.
    const reaper = setInterval(() => httpServer.closeIdleConnections(), 100);
    httpServer.closeIdleConnections();
    await httpClosed;
    clearInterval(reaper);
    await new Promise<void>((resolve) => io.close(() => resolve()));
    await queues.close();
    seqTracker.stop();
    socketsPerAddress.stop();
    await Promise.all([
      closeRedis(redis),
      closeRedis(queueRedis),
      closeRedis(pub),
      closeRedis(sub),
      closeRedis(seqSubscriber),
      closePasswordHashing(),
    ]);
    await db.destroy();
  };

  return { port, close };
}
