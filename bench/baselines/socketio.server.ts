// Baseline of fanout, write and connections: bare Socket.IO on node:http with @socket.io/redis-adapter.
// POST /emit does only io.to('feed').emit() of a post-shaped push; POST /publish adds one INSERT first
// (the write baseline). `subscribe` joins the rooms an app socket of the same topics would be in.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAdapter } from '@socket.io/redis-adapter';
import { Redis } from 'ioredis';
import pg from 'pg';
import { Server } from 'socket.io';

const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const adapterKey = process.env.BENCH_ADAPTER_KEY ?? 'plaza-bench-baseline';
const databaseUrl = process.env.DATABASE_URL;

const pub = new Redis(redisUrl, { maxRetriesPerRequest: null });
const sub = new Redis(redisUrl, { maxRetriesPerRequest: null });
const db = databaseUrl ? new pg.Pool({ connectionString: databaseUrl, max: 10 }) : null;
if (db) {
  await db.query(
    'create table if not exists bench_messages (id uuid primary key, body text not null, created_at timestamptz not null default now())',
  );
}

// Same shape and sizes as the app's post:created push (ids are UUIDs, usernames like the bench users').
const author = { id: randomUUID(), username: 'user_0123456789', displayName: 'user_0123456789' };
let seq = 0;
const pushOf = (id: string, body: string) => {
  const at = new Date().toISOString();
  return {
    seq: ++seq,
    topic: 'feed',
    type: 'post:created',
    at,
    data: {
      post: {
        id,
        author,
        body,
        createdAt: at,
        editedAt: null,
        likeCount: 0,
        commentCount: 0,
        likedByMe: false,
      },
    },
  };
};

async function readJson(req: IncomingMessage): Promise<{ body?: unknown; except?: unknown }> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString()) as { body?: unknown; except?: unknown };
}

const http = createServer((req, res) => {
  if (req.method !== 'POST' || (req.url !== '/emit' && req.url !== '/publish')) {
    res.writeHead(404).end();
    return;
  }
  readJson(req)
    .then(async ({ body, except }) => {
      const text = String(body);
      const id = randomUUID();
      if (req.url === '/publish' && db) {
        await db.query('insert into bench_messages (id, body) values ($1, $2)', [id, text]);
      }
      // fanout-muted: the sockets in `except` (muters of the sender) are left out, as the app's relay does.
      const target = typeof except === 'string' ? io.to('feed').except(except) : io.to('feed');
      target.emit('post:created', pushOf(id, text));
      res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify({ id }));
    })
    .catch((error: unknown) => {
      res.writeHead(500).end(String(error));
    });
});

const io = new Server(http, {
  serveClient: false,
  adapter: createAdapter(pub, sub, { key: adapterKey }),
});

const roomsOf = (topic: string, token: string | undefined): string[] => {
  if (topic === 'home' && token) return [`home:${token}`, `author:${token}`];
  return [topic];
};

io.on('connection', (socket) => {
  const token = typeof socket.handshake.auth?.token === 'string' ? socket.handshake.auth.token : undefined;
  if (token) void socket.join([`user:${token}`, `session:${token}`]);
  // fanout-muted: a muting user's socket sits in the sender's hide room, as the app's do.
  if (token?.startsWith('muter')) void socket.join('hide:sender');
  socket.on('subscribe', (input: { topics?: unknown }, ack: unknown) => {
    if (typeof ack !== 'function') return;
    const topics = Array.isArray(input?.topics) ? input.topics.map(String) : [];
    void socket.join(topics.flatMap((topic) => roomsOf(topic, token)));
    ack({ ok: true, data: { seq } });
  });
});

http.listen(0, '127.0.0.1', () => {
  const { port } = http.address() as AddressInfo;
  process.stdout.write(`${JSON.stringify({ msg: 'listening', port, pid: process.pid })}\n`);
});

process.on('SIGTERM', () => {
  io.close();
  pub.disconnect();
  sub.disconnect();
  void db?.end();
  setTimeout(() => process.exit(0), 200);
});
