// Live filtering across two real instances (API.md "Safety"): a socket never gets a post or comment from
// someone its user blocked or muted, nor from someone who blocked its user — on first delivery and on
// `resume` — and block and mute changes reach open sockets on every instance at once.
import type { AnyPush, Post } from '@plaza/client/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../server/lib/ids.ts';
import { postCreatedEvent } from '../../server/posts/posts.events.ts';
import { appendEvent } from '../../server/realtime/event-log.ts';
import { recordHideState } from '../../server/safety/safety.events.ts';
import { newestSeq, rest, writePost } from '../feed/feed-live.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { createUser, type TestUser } from '../helpers/factories.ts';
import { connectLive, type Recorder } from '../helpers/live.ts';
import { type PlazaProcess, startServer, startWorkers, stopAll } from '../helpers/processes.ts';
import { waitFor } from '../helpers/wait.ts';

let ctx: TestContext;
let a: PlazaProcess;
let b: PlazaProcess;
let workers: PlazaProcess;
const open: Recorder[] = [];

beforeAll(async () => {
  ctx = await createTestContext({ POSTS_PER_MINUTE: '1000', COMMENTS_PER_MINUTE: '1000' });
  [a, b, workers] = await Promise.all([
    startServer(ctx.env, 'safety-a'),
    startServer(ctx.env, 'safety-b'),
    startWorkers(ctx.env, ['maintenance']),
  ]);
});

afterAll(async () => {
  for (const r of open) r.close();
  await stopAll([a, b, workers]);
  await ctx.close();
});

async function live(url: string, user: TestUser, topics: string[], since?: number): Promise<Recorder> {
  const recorder = await connectLive({ url, token: user.token, topics, since });
  open.push(recorder);
  return recorder;
}

/** Bodies of the posts a socket received on the wire (before any client-side deduplication). */
const postBodies = (r: Recorder) =>
  r.raw.filter((p: AnyPush) => p.type === 'post:created').map((p) => (p.data as { post: Post }).post.body);

/**
 * Writes the hidden post first, then a marker by someone else: pushes arrive in seq order, so once the
 * marker is in, the hidden post had its chance to arrive before it.
 */
async function hiddenThenMarker(
  hidden: () => Promise<unknown>,
  marker: TestUser,
  body: string,
  sockets: Recorder[],
) {
  await hidden();
  await writePost(a.url, marker, body);
  for (const socket of sockets) {
    await waitFor(() => postBodies(socket).includes(body), { what: `the marker "${body}"` });
  }
}

describe('blocks, live', () => {
  it("never delivers a blocked user's post to the blocker, nor the blocker's to them, on either instance, also on resume", async () => {
    const [blocker, blocked, carl] = [
      await createUser(ctx.db),
      await createUser(ctx.db),
      await createUser(ctx.db),
    ];
    // Open before the block: the change must reach sockets that are already subscribed.
    const blockerOnA = await live(a.url, blocker, ['feed']);
    const blockerOnB = await live(b.url, blocker, ['feed']);
    const blockedOnB = await live(b.url, blocked, ['feed']);
    const before = await newestSeq(ctx.db);

    // By socket command on A; its effect is in the log before anything written after it.
    expect(await blockerOnA.live.command('user:block', { username: blocked.username })).toEqual({
      blocking: true,
    });
    await hiddenThenMarker(
      async () => {
        await writePost(b.url, blocked, 'from the blocked');
        await writePost(a.url, blocker, 'from the blocker');
      },
      carl,
      'marker 1',
      [blockerOnA, blockerOnB, blockedOnB],
    );
    for (const socket of [blockerOnA, blockerOnB])
      expect(postBodies(socket)).not.toContain('from the blocked');
    expect(postBodies(blockedOnB)).not.toContain('from the blocker');
    expect(postBodies(blockerOnA)).toContain('from the blocker');

    // A fresh socket (joined its hide rooms at connect) resuming from before: the replay skips them too.
    const resumedOnB = await live(b.url, blocker, ['feed'], before);
    const resumedBlockedOnA = await live(a.url, blocked, ['feed'], before);
    await waitFor(() => postBodies(resumedOnB).includes('marker 1'), { what: 'the replayed marker' });
    await waitFor(() => postBodies(resumedBlockedOnA).includes('marker 1'), { what: 'the replayed marker' });
    expect(postBodies(resumedOnB)).toEqual(['from the blocker', 'marker 1']);
    expect(postBodies(resumedBlockedOnA)).toEqual(['from the blocked', 'marker 1']);

    // The blocker's post is not found live either: its topic is refused to the blocked.
    const blockerPost = await writePost(a.url, blocker, 'a post of the blocker');
    const refusal = await blockedOnB.live.command('subscribe', { topics: [`post:${blockerPost.id}`] }).then(
      () => null,
      (error: unknown) => error as { code?: string },
    );
    expect(refusal?.code).toBe('not_found');

    // Comments too, on a third party's post.
    const carlPost = await writePost(a.url, carl, 'carl asks');
    const watching = await live(b.url, blocker, [`post:${carlPost.id}`]);
    await rest(a.url, 'POST', `/posts/${carlPost.id}/comments`, blocked, { body: 'hidden comment' });
    await rest(a.url, 'POST', `/posts/${carlPost.id}/comments`, carl, { body: 'visible comment' });
    await waitFor(() => watching.raw.some((p) => p.type === 'comment:created'), { what: 'a comment' });
    const comments = () =>
      watching.raw
        .filter((p) => p.type === 'comment:created')
        .map((p) => (p.data as { comment: { body: string } }).comment.body);
    await waitFor(() => comments().includes('visible comment'), { what: 'the visible comment' });
    expect(comments()).toEqual(['visible comment']);

    // Unblocked: delivery comes back on the open sockets at once.
    await rest(b.url, 'DELETE', `/users/${blocked.username}/block`, blocker);
    await hiddenThenMarker(() => writePost(b.url, blocked, 'after the unblock'), carl, 'marker 2', [
      blockerOnA,
      blockerOnB,
    ]);
    for (const socket of [blockerOnA, blockerOnB]) expect(postBodies(socket)).toContain('after the unblock');
  });
});

describe('a block and a post relayed back to back', () => {
  it('still keeps the post from the blocker’s sockets on every instance, the relay leader’s included', async () => {
    const [blocker, blocked, carl] = [
      await createUser(ctx.db),
      await createUser(ctx.db),
      await createUser(ctx.db),
    ];
    const sockets = [await live(a.url, blocker, ['feed']), await live(b.url, blocker, ['feed'])];
    const post: Post = {
      id: newId(),
      author: {
        id: blocked.id,
        username: blocked.username,
        displayName: blocked.displayName,
        avatarUrl: null,
      },
      body: 'right behind the block',
      media: [],
      createdAt: new Date().toISOString(),
      editedAt: null,
      likeCount: 0,
      commentCount: 0,
      likedByMe: false,
    };
    // One transaction: the block's hide change and the post get adjacent seqs and leave in one relay batch.
    await ctx.db.transaction().execute(async (trx) => {
      await trx.insertInto('blocks').values({ blocker_id: blocker.id, blocked_id: blocked.id }).execute();
      await recordHideState(trx, blocker.id, blocked.id);
      await trx
        .insertInto('posts')
        .values({ id: post.id, author_id: blocked.id, body: post.body, created_at: new Date(post.createdAt) })
        .execute();
      await appendEvent(trx, postCreatedEvent(post));
    });
    await hiddenThenMarker(async () => {}, carl, 'back-to-back marker', sockets);
    for (const socket of sockets) expect(postBodies(socket)).not.toContain('right behind the block');
  });
});

describe("a block and the blocker's post pages the blocked has open", () => {
  it("ends their subscription on every instance: nobody else's comments there reach them any more", async () => {
    const [blocker, blocked, carl] = [
      await createUser(ctx.db),
      await createUser(ctx.db),
      await createUser(ctx.db),
    ];
    const post = await writePost(a.url, blocker, 'my page');
    const topic = `post:${post.id}`;
    const blockerOnA = await live(a.url, blocker, [topic]);
    const blockedOnA = await live(a.url, blocked, [topic, 'feed']);
    const blockedOnB = await live(b.url, blocked, [topic, 'feed']);
    const watching = async () =>
      ((await blockerOnA.live.command('presence', { topic })) as { clients: number }).clients;
    // Polled at the socket's command budget (20/s), not faster.
    await waitFor(async () => (await watching()) === 3, {
      what: 'three sockets on the post',
      intervalMs: 100,
    });
    const comment = (body: string) => rest(b.url, 'POST', `/posts/${post.id}/comments`, carl, { body });
    const comments = (r: Recorder) =>
      r.raw
        .filter((p: AnyPush) => p.type === 'comment:created')
        .map((p) => (p.data as { comment: { body: string } }).comment.body);
    expect((await comment('before the block'))[0]).toBe(201);
    for (const socket of [blockedOnA, blockedOnB]) {
      await waitFor(() => comments(socket).includes('before the block'), { what: 'the first comment' });
    }

    const [status] = await rest(b.url, 'PUT', `/users/${blocked.username}/block`, blocker);
    expect(status).toBe(200);
    // Both of the blocked user's sockets leave the post (the blocker's stays).
    await waitFor(async () => (await watching()) === 1, {
      what: "the blocked user's sockets to leave",
      intervalMs: 100,
    });
    await hiddenThenMarker(() => comment('after the block'), carl, 'block marker', [blockedOnA, blockedOnB]);
    for (const socket of [blockedOnA, blockedOnB]) expect(comments(socket)).not.toContain('after the block');
    await waitFor(() => comments(blockerOnA).includes('after the block'), { what: 'the blocker to get it' });
  });
});

describe('mutes, live', () => {
  it('holds back the muted user until the mute ends, then lets their posts through again', async () => {
    const [muter, muted, carl] = [
      await createUser(ctx.db),
      await createUser(ctx.db),
      await createUser(ctx.db),
    ];
    const onA = await live(a.url, muter, ['feed']);
    const onB = await live(b.url, muter, ['feed']);
    const mutedOwn = await live(b.url, muted, ['feed']);
    const expiresAt = new Date(Date.now() + 3_000).toISOString();
    const [status] = await rest(a.url, 'PUT', `/users/${muted.username}/mute`, muter, { expiresAt });
    expect(status).toBe(200);

    await hiddenThenMarker(
      async () => {
        await writePost(b.url, muted, 'while muted');
        await writePost(a.url, muter, 'the muter speaks');
      },
      carl,
      'mute marker',
      [onA, onB, mutedOwn],
    );
    for (const socket of [onA, onB]) expect(postBodies(socket)).not.toContain('while muted');
    // A mute is one-way: the muted user still hears the muter.
    expect(postBodies(mutedOwn)).toContain('the muter speaks');

    // The mute's delayed job (or the sweep) ends it; the open sockets hear the muted user again.
    await waitFor(
      async () =>
        (await ctx.db.selectFrom('mutes').select('muter_id').where('muter_id', '=', muter.id).execute())
          .length === 0,
      { what: 'the mute to end', timeoutMs: 90_000, intervalMs: 200 },
    );
    await hiddenThenMarker(() => writePost(b.url, muted, 'after the mute'), carl, 'mute marker 2', [
      onA,
      onB,
    ]);
    for (const socket of [onA, onB]) expect(postBodies(socket)).toContain('after the mute');
  }, 120_000);
});
