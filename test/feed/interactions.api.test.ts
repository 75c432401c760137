import type { Comment, Page, Post } from '@plaza/client/protocol';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { createUser, type TestUser } from '../helpers/factories.ts';
import { type Harness, startHarness } from './feed-harness.ts';

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

describe('likes over REST', () => {
  it('is idempotent, reports likedByMe, pushes post:stats only on a change, and notifies the author once', async () => {
    const post = await h.writePost(alice, 'like me');
    const [s1, first] = await h.json('PUT', `/posts/${post.id}/like`, bob);
    const [, again] = await h.json('PUT', `/posts/${post.id}/like`, bob);
    expect(s1).toBe(200);
    expect(first).toEqual({ liked: true, likeCount: 1 });
    expect(again).toEqual({ liked: true, likeCount: 1 });
    const [, asBob] = await h.json<Post>('GET', `/posts/${post.id}`, bob);
    const [, asAlice] = await h.json<Post>('GET', `/posts/${post.id}`, alice);
    expect(asBob).toMatchObject({ likeCount: 1, likedByMe: true });
    expect(asAlice).toMatchObject({ likeCount: 1, likedByMe: false });

    expect((await h.json('DELETE', `/posts/${post.id}/like`, bob))[1]).toEqual({
      liked: false,
      likeCount: 0,
    });
    expect((await h.json('DELETE', `/posts/${post.id}/like`, bob))[1]).toEqual({
      liked: false,
      likeCount: 0,
    });
    await h.json('PUT', `/posts/${post.id}/like`, bob);

    const stats = (await eventsOfType('post:stats')).filter(
      (e) => (e.data as { postId: string }).postId === post.id,
    );
    expect(stats.map((e) => (e.data as { likeCount: number }).likeCount)).toEqual([1, 0, 1]);
    expect(stats[0]).toMatchObject({
      topic: 'feed',
      rooms: ['feed', `author:${alice.id}`, `post:${post.id}`],
    });
    const notes = await ctx.db
      .selectFrom('notifications')
      .selectAll()
      .where('user_id', '=', alice.id)
      .where('type', '=', 'like')
      .where('url', '=', `/posts/${post.id}`)
      .execute();
    expect(notes).toHaveLength(1);

    const likeNotes = () =>
      ctx.db
        .selectFrom('notifications')
        .select('id')
        .where('user_id', '=', alice.id)
        .where('type', '=', 'like')
        .execute();
    const before = (await likeNotes()).length;
    await h.json('PUT', `/posts/${post.id}/like`, alice);
    expect(await likeNotes()).toHaveLength(before);
  });

  it('counts one like when one user likes 100 times concurrently', async () => {
    const post = await h.writePost(alice, 'hammered');
    const replies = await Promise.all(
      Array.from({ length: 100 }, () => h.json<{ liked: boolean }>('PUT', `/posts/${post.id}/like`, bob)),
    );
    expect(replies.every(([status, r]) => status === 200 && r.liked)).toBe(true);
    const row = await ctx.db
      .selectFrom('posts')
      .select('like_count')
      .where('id', '=', post.id)
      .executeTakeFirstOrThrow();
    expect(row.like_count).toBe(1);
    const likes = await ctx.db.selectFrom('likes').select('user_id').where('post_id', '=', post.id).execute();
    expect(likes).toEqual([{ user_id: bob.id }]);
  });

  it('counts 50 likes when 50 users like concurrently', async () => {
    const post = await h.writePost(alice, 'popular');
    const users = await Promise.all(Array.from({ length: 50 }, () => createUser(ctx.db)));
    const replies = await Promise.all(users.map((u) => h.json('PUT', `/posts/${post.id}/like`, u)));
    expect(replies.every(([status]) => status === 200)).toBe(true);
    const [, read] = await h.json<Post>('GET', `/posts/${post.id}`);
    expect(read.likeCount).toBe(50);
    const counted = await sql<{
      n: number;
    }>`select count(*) as n from likes where post_id = ${post.id}`.execute(ctx.db);
    expect(counted.rows[0]!.n).toBe(50);
  });

  it('refuses anonymous likes with 401 and likes of a missing post with 404', async () => {
    const post = await h.writePost(alice, 'anon like');
    expect((await h.call('PUT', `/posts/${post.id}/like`)).status).toBe(401);
    expect((await h.call('PUT', '/posts/0190a6d2-0000-7000-8000-000000000000/like', bob)).status).toBe(404);
  });
});

describe('comments over REST', () => {
  it('adds a comment, counts it, pushes comment:created and post:stats, and notifies the post author', async () => {
    const post = await h.writePost(alice, 'discuss');
    const [status, comment] = await h.json<Comment>('POST', `/posts/${post.id}/comments`, bob, {
      body: ' first! ',
    });
    expect(status).toBe(201);
    expect(comment).toMatchObject({ postId: post.id, body: 'first!', author: { id: bob.id } });
    const [, read] = await h.json<Post>('GET', `/posts/${post.id}`);
    expect(read.commentCount).toBe(1);
    const [created] = (await eventsOfType('comment:created')).filter(
      (e) => (e.data as { comment: Comment }).comment.id === comment.id,
    );
    expect(created).toMatchObject({ topic: `post:${post.id}`, rooms: [`post:${post.id}`] });
    const note = await ctx.db
      .selectFrom('notifications')
      .selectAll()
      .where('user_id', '=', alice.id)
      .where('type', '=', 'comment')
      .where('url', '=', `/posts/${post.id}`)
      .execute();
    expect(note).toHaveLength(1);
  });

  it('refuses empty and oversized comments, anonymous ones, and comments on a missing post', async () => {
    const post = await h.writePost(alice, 'strict');
    for (const body of ['', '  ', 'z'.repeat(2001)]) {
      expect((await h.call('POST', `/posts/${post.id}/comments`, bob, { body })).status).toBe(400);
    }
    expect((await h.call('POST', `/posts/${post.id}/comments`, null, { body: 'anon' })).status).toBe(401);
    expect(
      (await h.call('POST', '/posts/0190a6d2-0000-7000-8000-000000000000/comments', bob, { body: 'x' }))
        .status,
    ).toBe(404);
    expect((await h.call('POST', `/posts/${post.id}/comments`, bob, { body: 'z'.repeat(2000) })).status).toBe(
      201,
    );
  });

  it("lets a comment's author, the post's author or a moderator delete it, and nobody else", async () => {
    const post = await h.writePost(alice, 'moderated thread');
    const carol = await createUser(ctx.db);
    const write = async () =>
      (await h.json<Comment>('POST', `/posts/${post.id}/comments`, bob, { body: 'hm' }))[1];
    const [c1, c2, c3] = [await write(), await write(), await write()];
    expect((await h.call('DELETE', `/comments/${c1!.id}`, carol)).status).toBe(403);
    expect((await h.call('DELETE', `/comments/${c1!.id}`)).status).toBe(401);
    expect((await h.call('DELETE', `/comments/${c1!.id}`, bob)).status).toBe(204);
    expect((await h.call('DELETE', `/comments/${c2!.id}`, alice)).status).toBe(204);
    expect((await h.call('DELETE', `/comments/${c3!.id}`, mod)).status).toBe(204);
    expect((await h.call('DELETE', `/comments/${c3!.id}`, mod)).status).toBe(404);
    const [, read] = await h.json<Post>('GET', `/posts/${post.id}`);
    expect(read.commentCount).toBe(0);
    const deleted = (await eventsOfType('comment:deleted')).filter(
      (e) => (e.data as { postId: string }).postId === post.id,
    );
    expect(deleted).toHaveLength(3);
    expect(deleted[0]).toMatchObject({
      topic: `post:${post.id}`,
      data: { commentId: c1!.id, postId: post.id },
    });
  });

  it('pages comments oldest first without repeats', async () => {
    const post = await h.writePost(alice, 'long thread');
    for (let i = 0; i < 7; i++) await h.json('POST', `/posts/${post.id}/comments`, bob, { body: `c${i}` });
    const bodies: string[] = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor ? `?limit=3&cursor=${cursor}` : '?limit=3';
      const [, page] = await h.json<Page<Comment>>('GET', `/posts/${post.id}/comments${query}`);
      bodies.push(...page.items.map((c) => c.body));
      cursor = page.nextCursor;
    } while (cursor);
    expect(bodies).toEqual(['c0', 'c1', 'c2', 'c3', 'c4', 'c5', 'c6']);
    expect((await h.call('GET', `/posts/${post.id}/comments?cursor=garbage`)).status).toBe(400);
  });
});
