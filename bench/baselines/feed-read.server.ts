// Baseline of feed-read: bare Hono on @hono/node-server doing one indexed query of the same 20 rows
// (posts with their authors and counts, newest first) and answering the same JSON shape.
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import pg from 'pg';

const db = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 10 });

interface Row {
  id: string;
  author_id: string;
  body: string;
  created_at: Date;
  edited_at: Date | null;
  like_count: number;
  comment_count: number;
  username: string;
  display_name: string;
}

const PAGE_SQL = `
  select p.id, p.author_id, p.body, p.created_at, p.edited_at, p.like_count, p.comment_count,
    u.username, u.display_name
  from posts p join users u on u.id = p.author_id
  order by p.created_at desc, p.id desc limit $1`;

const app = new Hono();
app.get('/posts', async (c) => {
  const limit = 20;
  const { rows } = await db.query<Row>(PAGE_SQL, [limit + 1]);
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return c.json({
    items: page.map((r) => ({
      id: r.id,
      author: { id: r.author_id, username: r.username, displayName: r.display_name },
      body: r.body,
      createdAt: r.created_at.toISOString(),
      editedAt: r.edited_at ? r.edited_at.toISOString() : null,
      likeCount: r.like_count,
      commentCount: r.comment_count,
      likedByMe: false,
    })),
    nextCursor:
      rows.length > limit && last
        ? Buffer.from(JSON.stringify([last.created_at.toISOString(), last.id])).toString('base64url')
        : null,
  });
});

const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => {
  const { port } = server.address() as AddressInfo;
  process.stdout.write(`${JSON.stringify({ msg: 'listening', port, pid: process.pid })}\n`);
});

process.on('SIGTERM', () => {
  server.close();
  void db.end();
  setTimeout(() => process.exit(0), 200);
});
