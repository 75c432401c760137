// One server instance: database, Redis, HTTP + Socket.IO on one port, and a relay candidate.
import type { Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { createApp } from './app.ts';
import { socketAuthenticator } from './auth/socket-auth.ts';
import type { Config } from './config.ts';
import { createDb } from './db/database.ts';
import type { Deps } from './deps.ts';
import { Queues } from './jobs/queues.ts';
import type { Logger } from './lib/logger.ts';
import { closeRedis, createRedis } from './lib/redis.ts';
import { readRelayPosition } from './realtime/event-log.ts';
import { Relay } from './realtime/relay.ts';
import { createSocketServer, emitTo } from './realtime/socket-server.ts';
import { platformTopics, TopicRegistry } from './realtime/topics.ts';

export interface Instance {
  port: number;
  close: () => Promise<void>;
}

export async function startInstance(config: Config, logger: Logger): Promise<Instance> {
  const db = createDb({
    url: config.databaseUrl,
    poolSize: config.databasePoolSize,
    applicationName: 'plaza-server',
    onError: (error) => logger.warn({ err: error }, 'idle database connection lost'),
  });
  const redis = createRedis(config.redisUrl, 'commands', 'plaza-server', logger);
  // The adapter needs its own pair: a subscriber connection can run nothing else.
  const pub = createRedis(config.redisUrl, 'blocking', 'plaza-adapter-pub', logger);
  const sub = createRedis(config.redisUrl, 'blocking', 'plaza-adapter-sub', logger);

  const queues = new Queues(redis, config.redisPrefix);
  const deps: Deps = { config, db, redis, queues, logger };

  let draining = false;
  const currentSeq = async () => (await readRelayPosition(db)).emittedSeq;
  let relay: Relay | null = null;

  const app = createApp({
    ...deps,
    currentSeq,
    isDraining: () => draining,
    isRelayLeader: () => relay?.isLeader ?? false,
  });

  const httpServer = await new Promise<HttpServer>((resolve) => {
    const server = serve({ fetch: app.fetch, port: config.port, hostname: config.host }, () =>
      resolve(server as HttpServer),
    ) as HttpServer;
  });
  const port = (httpServer.address() as AddressInfo).port;

  const io = createSocketServer(httpServer, {
    db,
    pub,
    sub,
    redisPrefix: config.redisPrefix,
    publicUrl: config.publicUrl,
    topics: platformTopics(new TopicRegistry()),
    logger,
    authenticate: socketAuthenticator(db, config.publicUrl),
    currentSeq,
    // Feature socket commands register here, each with the same deps as its routes.
    registerCommands: (_socket) => {},
  });

  relay = new Relay({
    databaseUrl: config.databaseUrl,
    logger: logger.child({ component: 'relay' }),
    emit: (rooms, push) => {
      emitTo(io.to(rooms), push);
      // A revoked session hears why, then loses its sockets on every instance (same Redis channel, in order).
      if (push.type === 'session:revoked') io.in(rooms).disconnectSockets(true);
    },
    canEmit: () => pub.status === 'ready',
  });
  relay.start();

  logger.info({ port, host: config.host }, 'listening');

  const close = async () => {
    draining = true;
    await relay?.stop();
    // Stop accepting, disconnect sockets (clients reconnect elsewhere), let in-flight requests finish.
    const httpClosed = new Promise<void>((resolve) => httpServer.close(() => resolve()));
    io.disconnectSockets(true);
    io.engine.close();
    // Keep-alive connections turn idle as their last response leaves; close each as soon as it does.
    const reaper = setInterval(() => httpServer.closeIdleConnections(), 100);
    httpServer.closeIdleConnections();
    await httpClosed;
    clearInterval(reaper);
    await new Promise<void>((resolve) => io.close(() => resolve()));
    await queues.close();
    await Promise.all([closeRedis(redis), closeRedis(pub), closeRedis(sub)]);
    await db.destroy();
  };

  return { port, close };
}
