// Baseline of `presence`: bare Socket.IO with @socket.io/redis-adapter doing the same bookkeeping as Plaza's
// presence, the plain way: each subscribe/unsubscribe joins or leaves the room, then writes its own change to
// Redis in one pipeline (the instance's hash for the topic: the user's and the socket count, expiry, the
// topic's set of instances) with the same throttled count-and-push script, and acks once Redis answered.
// No authentication, no access check, no batching across sockets. `presence { topic }` counts.
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAdapter } from '@socket.io/redis-adapter';
import { Redis } from 'ioredis';
import { Server } from 'socket.io';
import { CLIENTS_FIELD, presenceKeys } from '../../server/presence/presence-keys.ts';
import { PUSH_SCRIPT, SAMPLE_SCRIPT } from '../../server/presence/presence-scripts.ts';

const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const adapterKey = process.env.BENCH_ADAPTER_KEY ?? 'plaza-bench-baseline';
const keys = presenceKeys(process.env.BENCH_PRESENCE_PREFIX ?? 'plaza-bench-presence');
const instanceId = randomUUID();
const TTL_MS = 20_000;

const pub = new Redis(redisUrl, { maxRetriesPerRequest: null });
const sub = new Redis(redisUrl, { maxRetriesPerRequest: null });
const redis = new Redis(redisUrl, { maxRetriesPerRequest: null });

const http = createServer((_req, res) => res.writeHead(404).end());
const io = new Server(http, { serveClient: false, adapter: createAdapter(pub, sub, { key: adapterKey }) });

type Ack = (reply: unknown) => void;

async function record(topic: string, user: string | undefined, delta: 1 | -1): Promise<void> {
  const hash = keys.instance(topic, instanceId);
  const pipeline = redis.pipeline();
  pipeline.hincrby(hash, CLIENTS_FIELD, delta);
  if (user) pipeline.hincrby(hash, user, delta);
  pipeline.pexpire(hash, TTL_MS);
  pipeline.sadd(keys.instances(topic), instanceId);
  pipeline.pexpire(keys.instances(topic), TTL_MS);
  pipeline.eval(
    PUSH_SCRIPT,
    3,
    keys.instances(topic),
    keys.sent(topic),
    keys.last(topic),
    keys.instancePrefix(topic),
    1_000,
    120_000,
  );
  const replies = (await pipeline.exec()) ?? [];
  // A user whose last socket left is no longer a watcher (HINCRBY left a zero behind).
  if (user && delta === -1 && Number(replies[1]?.[1]) <= 0) await redis.hdel(hash, user);
  const [outcome, clients, users] = (replies.at(-1)?.[1] ?? []) as number[];
  if (outcome === 1) io.to(topic).emit('presence:stats', { topic, clients, users });
}

io.on('connection', (socket) => {
  const user = typeof socket.handshake.auth?.token === 'string' ? socket.handshake.auth.token : undefined;
  const held = new Set<string>();
  const topicsOf = (input: { topics?: unknown }) =>
    Array.isArray(input?.topics) ? input.topics.map(String) : [];
  socket.on('subscribe', (input: { topics?: unknown }, ack: Ack) => {
    const fresh = topicsOf(input).filter((t) => !held.has(t));
    for (const topic of fresh) held.add(topic);
    void socket.join(fresh);
    Promise.all(fresh.map((topic) => record(topic, user, 1))).then(
      () => ack({ ok: true, data: { seq: 0 } }),
      (error: unknown) => ack({ ok: false, error: { code: 'internal', message: String(error) } }),
    );
  });
  socket.on('unsubscribe', (input: { topics?: unknown }, ack: Ack) => {
    const gone = topicsOf(input).filter((t) => held.delete(t));
    for (const topic of gone) void socket.leave(topic);
    Promise.all(gone.map((topic) => record(topic, user, -1))).then(
      () => ack({ ok: true, data: { seq: 0 } }),
      (error: unknown) => ack({ ok: false, error: { code: 'internal', message: String(error) } }),
    );
  });
  socket.on('presence', (input: { topic?: unknown }, ack: Ack) => {
    const topic = String(input?.topic);
    redis.eval(SAMPLE_SCRIPT, 1, keys.instances(topic), keys.instancePrefix(topic), 20).then((reply) => {
      const [clients, users, ...ids] = reply as Array<number | string>;
      ack({ ok: true, data: { clients: Number(clients), users: Number(users), sample: ids } });
    });
  });
  socket.on('disconnect', () => {
    for (const topic of held) void record(topic, user, -1);
  });
});

http.listen(0, '127.0.0.1', () => {
  const { port } = http.address() as AddressInfo;
  process.stdout.write(`${JSON.stringify({ msg: 'listening', port, pid: process.pid })}\n`);
});

process.on('SIGTERM', () => {
  io.close();
  for (const connection of [pub, sub, redis]) connection.disconnect();
  setTimeout(() => process.exit(0), 200);
});
