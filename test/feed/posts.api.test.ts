import type { Post } from '@plaza/client/protocol';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { createUser, type TestUser } from '../helpers/factories.ts';
import { type ErrorReply, type Harness, startHarness } from './feed-harness.ts';

let ctx: TestContext;
let h: Harness;
let alice: TestUser;
let bob: TestUser;
let mod: TestUser;

beforeAll(async () => {
  ctx = await createTestContext();
  h = startHarness(ctx);
  alice = await createUser(ctx.db);
  bob = await createUser(ctx.db);
  mod = await createUser(ctx.db, { role: 'moderator' });
});

afterAll(async () => {
  await h.close();
  await ctx.close();
});

const eventsOfType = (type: string) =>
  ctx.db
    .selectFrom('event_log')
    .select(['type', 'topic', 'rooms', 'data'])
    .where('type', '=', type)
    .orderBy('id')
    .execute();

describe('posts over REST', () => {
  it('creates a trimmed post, returns it with its author, and logs post:created for feed and the author room', async () => {
    const [status, post] = await h.json<Post>('POST', '/posts', alice, { body: '  hello plaza  ' });
    expect(status).toBe(201);
    expect(post).toMatchObject({
      body: 'hello plaza',
      author: { id: alice.id, username: alice.username, displayName: alice.displayName },
      editedAt: null,
      likeCount: 0,
      commentCount: 0,
      likedByMe: false,
    });
    const row = await ctx.db
      .selectFrom('posts')
      .selectAll()
      .where('id', '=', post.id)
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({ author_id: alice.id, body: 'hello plaza' });
    const events = (await eventsOfType('post:created')).filter(
      (e) => (e.data as { post: Post }).post.id === post.id,
    );
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ topic: 'feed', rooms: ['feed', `author:${alice.id}`] });

    const [readStatus, read] = await h.json<Post>('GET', `/posts/${post.id}`);
    expect(readStatus).toBe(200);
    expect(read).toEqual(post);
  });

  it('refuses an anonymous write with 401, even with an invalid body, and stores nothing', async () => {
    const before = await ctx.db
      .selectFrom('posts')
      .select(sql<number>`count(*)`.as('n'))
      .executeTakeFirstOrThrow();
    for (const body of [{ body: 'anon' }, { body: '' }]) {
      const [status, reply] = await h.json<ErrorReply>('POST', '/posts', null, body);
      expect(status).toBe(401);
      expect(reply.error.code).toBe('unauthenticated');
    }
    const after = await ctx.db
      .selectFrom('posts')
      .select(sql<number>`count(*)`.as('n'))
      .executeTakeFirstOrThrow();
    expect(after.n).toBe(before.n);
  });

  it('refuses empty, whitespace-only and oversized bodies with validation_failed', async () => {
    for (const body of ['', '   \n\t ', 'x'.repeat(5001)]) {
      const [status, reply] = await h.json<ErrorReply>('POST', '/posts', alice, { body });
      expect(status).toBe(400);
      expect(reply.error.code).toBe('validation_failed');
    }
    const [status] = await h.json<Post>('POST', '/posts', alice, { body: 'y'.repeat(5000) });
    expect(status).toBe(201);
  });

  it("lets the author edit a post, refuses another's edit with 403, and logs post:updated", async () => {
    const post = await h.writePost(alice, 'first draft');
    const [forbiddenStatus, forbidden] = await h.json<ErrorReply>('PATCH', `/posts/${post.id}`, bob, {
      body: 'hijacked',
    });
    expect(forbiddenStatus).toBe(403);
    expect(forbidden.error.code).toBe('forbidden');
    const [status, edited] = await h.json<Post>('PATCH', `/posts/${post.id}`, alice, {
      body: 'second draft',
    });
    expect(status).toBe(200);
    expect(edited.body).toBe('second draft');
    expect(edited.editedAt).not.toBeNull();
    const row = await ctx.db
      .selectFrom('posts')
      .select('body')
      .where('id', '=', post.id)
      .executeTakeFirstOrThrow();
    expect(row.body).toBe('second draft');
    const [updated] = (await eventsOfType('post:updated')).filter(
      (e) => (e.data as { post: Post }).post.id === post.id,
    );
    expect(updated).toMatchObject({
      topic: 'feed',
      rooms: ['feed', `author:${alice.id}`, `post:${post.id}`],
    });
    const [emptyStatus] = await h.json('PATCH', `/posts/${post.id}`, alice, { body: ' ' });
    expect(emptyStatus).toBe(400);
  });

  it('deletes a post (author or moderator only) with its comments and likes; then it is gone', async () => {
    const post = await h.writePost(alice, 'to be removed');
    await h.json('PUT', `/posts/${post.id}/like`, bob);
    await h.json('POST', `/posts/${post.id}/comments`, bob, { body: 'nice' });
    const [bobStatus] = await h.json('DELETE', `/posts/${post.id}`, bob);
    expect(bobStatus).toBe(403);
    const res = await h.call('DELETE', `/posts/${post.id}`, alice);
    expect(res.status).toBe(204);
    expect((await h.call('GET', `/posts/${post.id}`)).status).toBe(404);
    expect((await h.call('DELETE', `/posts/${post.id}`, alice)).status).toBe(404);
    const left = await sql<{ n: number }>`
      select (select count(*) from likes where post_id = ${post.id})
           + (select count(*) from comments where post_id = ${post.id}) as n`.execute(ctx.db);
    expect(left.rows[0]!.n).toBe(0);
    const [deleted] = (await eventsOfType('post:deleted')).filter(
      (e) => (e.data as { postId: string }).postId === post.id,
    );
    expect(deleted).toMatchObject({
      topic: 'feed',
      rooms: ['feed', `author:${alice.id}`, `post:${post.id}`],
    });

    const other = await h.writePost(bob, 'moderated away');
    expect((await h.call('DELETE', `/posts/${other.id}`, mod)).status).toBe(204);
    expect(
      await ctx.db.selectFrom('posts').select('id').where('id', '=', other.id).executeTakeFirst(),
    ).toBeUndefined();
  });

  it('answers an unknown post with 404 and a malformed id with 400', async () => {
    expect((await h.call('GET', '/posts/0190a6d2-0000-7000-8000-000000000000')).status).toBe(404);
    expect((await h.call('GET', '/posts/not-a-uuid')).status).toBe(400);
  });

  it('carries X-Plaza-Seq on every GET', async () => {
    const post = await h.writePost(alice, 'seq header');
    for (const path of [
      '/posts',
      `/posts/${post.id}`,
      `/posts/${post.id}/comments`,
      `/users/${alice.username}`,
    ]) {
      const res = await h.call('GET', path);
      expect(res.status).toBe(200);
      expect(res.headers.get('X-Plaza-Seq')).toMatch(/^\d+$/);
    }
    expect((await h.call('GET', '/feed', alice)).headers.get('X-Plaza-Seq')).toMatch(/^\d+$/);
  });
});

describe('write limits', () => {
  it('answers 429 with Retry-After and retryAfterMs past the per-user post limit', async () => {
    const limited = startHarness(ctx, { POSTS_PER_MINUTE: '2', LIKES_PER_MINUTE: '1' });
    try {
      const dave = await createUser(ctx.db);
      await limited.writePost(dave, 'one');
      await limited.writePost(dave, 'two');
      const res = await limited.call('POST', '/posts', dave, { body: 'three' });
      expect(res.status).toBe(429);
      expect(Number(res.headers.get('Retry-After'))).toBeGreaterThan(0);
      const reply = (await res.json()) as ErrorReply;
      expect(reply.error.code).toBe('rate_limited');
      expect(reply.error.details?.retryAfterMs).toBeGreaterThan(0);
      const rows = await ctx.db.selectFrom('posts').select('body').where('author_id', '=', dave.id).execute();
      expect(rows.map((r) => r.body).sort()).toEqual(['one', 'two']);
      // Another user is not limited by dave's writes.
      const erin = await createUser(ctx.db);
      expect((await limited.call('POST', '/posts', erin, { body: 'erin is fine' })).status).toBe(201);
    } finally {
      await limited.close();
    }
  });
});
