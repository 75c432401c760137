import { LiveCommandError } from '@plaza/client';
import type { Comment, Post } from '@plaza/client/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { createUser, type TestUser } from '../helpers/factories.ts';
import { connectLive, type Recorder } from '../helpers/live.ts';
import { type PlazaProcess, startServer, stopAll } from '../helpers/processes.ts';
import { sleep, waitFor } from '../helpers/wait.ts';
import { loggedEvents, newestSeq, rest, writePost } from './feed-live.ts';

let ctx: TestContext;
let a: PlazaProcess;
let b: PlazaProcess;
const open: Recorder[] = [];

beforeAll(async () => {
  ctx = await createTestContext({ POSTS_PER_MINUTE: '1000' });
  [a, b] = await Promise.all([startServer(ctx.env, 'feed-a'), startServer(ctx.env, 'feed-b')]);
});

afterAll(async () => {
  for (const r of open) r.close();
  await stopAll([a, b]);
  await ctx.close();
});

async function live(url: string, user: TestUser | null, topics: string[]): Promise<Recorder> {
  const recorder = await connectLive({ url, token: user?.token, topics });
  open.push(recorder);
  return recorder;
}

async function commandError(promise: Promise<unknown>): Promise<LiveCommandError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  if (!(error instanceof LiveCommandError))
    throw new Error(`expected a refused command, got ${String(error)}`);
  return error;
}

const bodyOf = (r: Recorder, type: string) =>
  r.pushes.filter((p) => p.type === type).map((p) => (p.data as { post: Post }).post.body);

describe('feed pushes across instances', () => {
  it('gives sockets on two instances every push of their topics exactly once, in seq order', async () => {
    const [ann, ben] = [await createUser(ctx.db), await createUser(ctx.db)];
    const post = await writePost(a.url, ann, 'watched post');
    const since = await newestSeq(ctx.db);
    // Each client is in `feed` AND `post:<id>`: a post:stats push targets both rooms and must arrive once.
    const onA = await live(a.url, ben, ['feed', `post:${post.id}`]);
    const onB = await live(b.url, null, ['feed', `post:${post.id}`]);

    await rest(a.url, 'PUT', `/posts/${post.id}/like`, ben);
    const [, comment] = await rest<Comment>(b.url, 'POST', `/posts/${post.id}/comments`, ben, { body: 'hi' });
    await rest(a.url, 'PATCH', `/posts/${post.id}`, ann, { body: 'watched post, edited' });
    await writePost(b.url, ben, 'another post');
    await rest(b.url, 'DELETE', `/comments/${comment.id}`, ann);
    await rest(a.url, 'DELETE', `/posts/${post.id}`, ann);

    const expected = await waitFor(
      async () => {
        const events = await loggedEvents(ctx.db, ['feed', `post:${post.id}`], since);
        return events.length >= 8 ? events : null;
      },
      { what: 'the log to hold every push' },
    );
    expect(expected.map((e) => e.type)).toEqual([
      'post:stats',
      'comment:created',
      'post:stats',
      'post:updated',
      'post:created',
      'comment:deleted',
      'post:stats',
      'post:deleted',
    ]);
    for (const client of [onA, onB]) {
      await client.waitForCount(expected.length);
      await sleep(300);
      expect(client.raw.map((p) => p.seq)).toEqual(expected.map((e) => e.seq));
      expect(client.pushes.map((p) => p.type)).toEqual(expected.map((e) => e.type));
    }
    // Ben's like of Ann's post reached Ann's `me`, not the feed.
    const meEvents = await loggedEvents(ctx.db, [`user:${ann.id}`], since);
    expect(meEvents.map((e) => e.type)).toEqual(['notification:created', 'notification:created']);
  });
});

describe('socket commands', () => {
  it('write, edit, like, comment and delete with the same results and rules as REST', async () => {
    const [ann, ben] = [await createUser(ctx.db), await createUser(ctx.db)];
    const annLive = await live(b.url, ann, []);
    const benLive = await live(a.url, ben, []);

    const post = await annLive.live.command('post:create', { body: '  from a socket  ' });
    expect(post).toMatchObject({ body: 'from a socket', author: { id: ann.id }, likeCount: 0 });
    const [, viaRest] = await rest<Post>(a.url, 'GET', `/posts/${post.id}`, null);
    expect(viaRest).toEqual(post);

    for (const body of ['', '   ', 'x'.repeat(5001)]) {
      const error = await commandError(annLive.live.command('post:create', { body }));
      expect(error.code).toBe('validation_failed');
    }
    expect(
      (await commandError(benLive.live.command('post:update', { id: post.id, body: 'mine now' }))).code,
    ).toBe('forbidden');
    const edited = await annLive.live.command('post:update', { id: post.id, body: 'edited by socket' });
    expect(edited.editedAt).not.toBeNull();

    expect(await benLive.live.command('post:like', { postId: post.id })).toEqual({
      liked: true,
      likeCount: 1,
    });
    expect(await benLive.live.command('post:like', { postId: post.id })).toEqual({
      liked: true,
      likeCount: 1,
    });
    expect(await benLive.live.command('post:unlike', { postId: post.id })).toEqual({
      liked: false,
      likeCount: 0,
    });
    expect(await benLive.live.command('post:like', { postId: post.id })).toEqual({
      liked: true,
      likeCount: 1,
    });

    const comment = await benLive.live.command('comment:create', { postId: post.id, body: ' nice ' });
    expect(comment).toMatchObject({ postId: post.id, body: 'nice', author: { id: ben.id } });
    expect(
      (await commandError(benLive.live.command('comment:create', { postId: post.id, body: '' }))).code,
    ).toBe('validation_failed');
    expect(
      (
        await commandError(
          benLive.live.command('comment:create', { postId: post.id, body: 'y'.repeat(2001) }),
        )
      ).code,
    ).toBe('validation_failed');
    const stranger = await live(a.url, await createUser(ctx.db), []);
    expect((await commandError(stranger.live.command('comment:delete', { id: comment.id }))).code).toBe(
      'forbidden',
    );
    expect(await annLive.live.command('comment:delete', { id: comment.id })).toBeNull();

    const row = await ctx.db
      .selectFrom('posts')
      .select(['body', 'like_count', 'comment_count'])
      .where('id', '=', post.id)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ body: 'edited by socket', like_count: 1, comment_count: 0 });

    expect((await commandError(benLive.live.command('post:delete', { id: post.id }))).code).toBe('forbidden');
    expect(await annLive.live.command('post:delete', { id: post.id })).toBeNull();
    expect(
      await ctx.db.selectFrom('posts').select('id').where('id', '=', post.id).executeTakeFirst(),
    ).toBeUndefined();
    expect((await commandError(benLive.live.command('post:like', { postId: post.id }))).code).toBe(
      'not_found',
    );
  });

  it('follows and unfollows by socket, refusing self-follow', async () => {
    const [ann, ben] = [await createUser(ctx.db), await createUser(ctx.db)];
    const annLive = await live(a.url, ann, []);
    expect(await annLive.live.command('user:follow', { username: ben.username })).toEqual({
      following: true,
      followerCount: 1,
    });
    expect((await commandError(annLive.live.command('user:follow', { username: ann.username }))).code).toBe(
      'validation_failed',
    );
    expect(
      (await commandError(annLive.live.command('user:follow', { username: 'no_such_user_x' }))).code,
    ).toBe('not_found');
    const rows = await ctx.db.selectFrom('follows').selectAll().where('follower_id', '=', ann.id).execute();
    expect(rows.map((r) => r.followee_id)).toEqual([ben.id]);
    expect(await annLive.live.command('user:unfollow', { username: ben.username })).toEqual({
      following: false,
      followerCount: 0,
    });
  });

  it('refuses every write command from an anonymous socket with unauthenticated', async () => {
    const anon = await live(b.url, null, []);
    const id = '0190a6d2-0000-7000-8000-000000000000';
    const attempts = [
      anon.live.command('post:create', { body: 'hello' }),
      anon.live.command('post:update', { id, body: 'hello' }),
      anon.live.command('post:delete', { id }),
      anon.live.command('comment:create', { postId: id, body: 'hello' }),
      anon.live.command('comment:delete', { id }),
      anon.live.command('post:like', { postId: id }),
      anon.live.command('post:unlike', { postId: id }),
      anon.live.command('user:follow', { username: 'someone' }),
      anon.live.command('user:unfollow', { username: 'someone' }),
    ];
    for (const attempt of attempts) expect((await commandError(attempt)).code).toBe('unauthenticated');
  });

  it('refuses `home` to anonymous sockets and `post:<id>` of a missing post', async () => {
    const anon = await live(a.url, null, []);
    expect((await commandError(anon.live.command('subscribe', { topics: ['home'] }))).code).toBe(
      'unauthenticated',
    );
    expect(
      (
        await commandError(
          anon.live.command('subscribe', { topics: ['post:0190a6d2-0000-7000-8000-000000000000'] }),
        )
      ).code,
    ).toBe('not_found');
  });
});

describe('home', () => {
  it("a follow makes the follower's home sockets on another instance receive the author's posts at once; unfollow stops it", async () => {
    const [fan, author] = [await createUser(ctx.db), await createUser(ctx.db)];
    const home = await live(b.url, fan, ['home', 'feed']);
    // Unsubscribing another topic must not drop the author rooms a follow adds to `home`.
    await home.live.unsubscribe(['feed']);
    const before = await writePost(a.url, author, 'before the follow');

    const [, followed] = await rest(a.url, 'PUT', `/users/${author.username}/follow`, fan);
    expect(followed).toEqual({ following: true, followerCount: 1 });
    await writePost(a.url, author, 'after the follow');
    await waitFor(() => bodyOf(home, 'post:created').includes('after the follow'), {
      what: 'the followed post',
    });
    expect(bodyOf(home, 'post:created')).not.toContain(before.body);
    await home.live.unsubscribe(['feed']);
    await writePost(a.url, author, 'still following');
    await waitFor(() => bodyOf(home, 'post:created').includes('still following'), { what: 'a later post' });

    const fanSocketOnA = await live(a.url, fan, []);
    await fanSocketOnA.live.command('user:unfollow', { username: author.username });
    await writePost(a.url, author, 'after the unfollow');
    // The fan's own post is the marker: once it arrived, the author's earlier post would have too.
    await writePost(a.url, fan, 'my own post');
    await waitFor(() => bodyOf(home, 'post:created').includes('my own post'), { what: "the fan's own post" });
    await sleep(200);
    expect(bodyOf(home, 'post:created')).toEqual(['after the follow', 'still following', 'my own post']);
    expect(home.raw.length).toBe(home.pushes.length);
  });
});

describe('socket write limits', () => {
  it('acks rate_limited with retryAfterMs past the per-user limit', async () => {
    const limited = await startServer({ ...ctx.env, LIKES_PER_MINUTE: '2' }, 'feed-limited');
    try {
      const [ann, ben] = [await createUser(ctx.db), await createUser(ctx.db)];
      const post = await writePost(a.url, ann, 'limit me');
      const benLive = await live(limited.url, ben, []);
      await benLive.live.command('post:like', { postId: post.id });
      await benLive.live.command('post:unlike', { postId: post.id });
      const error = await commandError(benLive.live.command('post:like', { postId: post.id }));
      expect(error.code).toBe('rate_limited');
      expect(error.error.details?.retryAfterMs).toBeGreaterThan(0);
      const likes = await ctx.db.selectFrom('likes').selectAll().where('post_id', '=', post.id).execute();
      expect(likes).toHaveLength(0);
    } finally {
      await limited.stop();
    }
  });
});
