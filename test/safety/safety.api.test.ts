// Blocks and mutes over REST (API.md "Safety"): the routes, and what a block or a mute does to every
// other feature — 403 for what the blocked may not do, 404 for what of the blocker they may not see,
// feeds, comment lists and notifications without the hidden user.
import type { Comment, Notification, Page, Post, User } from '@plaza/client/protocol';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ErrorReply, type Harness, startHarness } from '../feed/feed-harness.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { createUser, type TestUser } from '../helpers/factories.ts';

let ctx: TestContext;
let h: Harness;

beforeAll(async () => {
  ctx = await createTestContext({ POSTS_PER_MINUTE: '1000', COMMENTS_PER_MINUTE: '1000' });
  h = startHarness(ctx);
});

afterAll(async () => {
  await h.close();
  await ctx.close();
});

const pair = async (): Promise<[TestUser, TestUser]> => [await createUser(ctx.db), await createUser(ctx.db)];

const ids = (page: Page<{ id: string }>) => page.items.map((item) => item.id);

async function notificationsOf(user: TestUser): Promise<Notification[]> {
  const [status, page] = await h.json<Page<Notification>>('GET', '/notifications', user);
  expect(status).toBe(200);
  return page.items;
}

describe('blocks', () => {
  it('PUT and DELETE answer { blocking }, idempotently; GET /me/blocks lists them', async () => {
    const [ann, ben] = await pair();
    for (let i = 0; i < 2; i++) {
      expect(await h.json('PUT', `/users/${ben.username}/block`, ann)).toEqual([200, { blocking: true }]);
    }
    const [, blocks] = await h.json<Page<User>>('GET', '/me/blocks', ann);
    expect(blocks.items.map((u) => u.username)).toEqual([ben.username]);
    expect(blocks.nextCursor).toBeNull();
    for (let i = 0; i < 2; i++) {
      expect(await h.json('DELETE', `/users/${ben.username}/block`, ann)).toEqual([200, { blocking: false }]);
    }
    expect((await h.json<Page<User>>('GET', '/me/blocks', ann))[1].items).toEqual([]);
  });

  it('a profile says whether you block or mute its user, however long your lists (the page reads it)', async () => {
    const [ann, ben] = await pair();
    const others = await Promise.all(Array.from({ length: 120 }, () => createUser(ctx.db)));
    // Ann's list is long: 120 blocks older than Ben's would push him past any first page.
    await sql`insert into blocks (blocker_id, blocked_id, created_at)
      select ${ann.id}::uuid, id, now() - interval '1 day' from unnest(${others.map((o) => o.id)}::uuid[]) as id`.execute(
      ctx.db,
    );
    const profile = async (viewer: TestUser | null) =>
      (await h.json<User>('GET', `/users/${ben.username}`, viewer))[1];
    expect(await profile(ann)).toMatchObject({ blockedByMe: false, mutedByMe: false });
    await h.json('PUT', `/users/${ben.username}/block`, ann);
    await h.json('PUT', `/users/${ben.username}/mute`, ann);
    expect(await profile(ann)).toMatchObject({ blockedByMe: true, mutedByMe: true });
    // Nobody else learns it, and anonymous readers get neither field.
    expect((await profile(null)).blockedByMe).toBeUndefined();
    expect((await profile(others[0]!)).blockedByMe).toBe(false);
  });

  it('refuses yourself and moderators (400), unknown users (404), anonymous callers (401)', async () => {
    const ann = await createUser(ctx.db);
    const mod = await createUser(ctx.db, { role: 'moderator' });
    const admin = await createUser(ctx.db, { role: 'admin' });
    for (const target of [ann, mod, admin]) {
      const [status, body] = await h.json<ErrorReply>('PUT', `/users/${target.username}/block`, ann);
      expect(status).toBe(400);
      expect(body.error.code).toBe('validation_failed');
    }
    expect((await h.json('PUT', `/users/${ann.username}/mute`, ann, {}))[0]).toBe(400);
    expect((await h.json('PUT', '/users/nobody_here/block', ann))[0]).toBe(404);
    expect((await h.json('PUT', `/users/${mod.username}/block`, null))[0]).toBe(401);
    expect((await h.json('GET', '/me/blocks', null))[0]).toBe(401);
  });

  it('removes follows both ways', async () => {
    const [ann, ben] = await pair();
    await h.json('PUT', `/users/${ben.username}/follow`, ann);
    await h.json('PUT', `/users/${ann.username}/follow`, ben);
    await h.json('PUT', `/users/${ben.username}/block`, ann);
    const { rows } = await sql<{ n: number }>`
      select count(*)::int as n from follows
      where (follower_id = ${ann.id} and followee_id = ${ben.id}) or (follower_id = ${ben.id} and followee_id = ${ann.id})`.execute(
      ctx.db,
    );
    expect(rows[0]?.n).toBe(0);
  });

  it('refuses the blocked user 403 when they follow, comment on, like, join an event of, or pay the blocker', async () => {
    const [blocker, blocked] = await pair();
    const post = await h.writePost(blocker, 'mine');
    const [created, event] = await h.json<{ id: string }>('POST', '/events', blocker, {
      title: 'Picnic',
      description: 'Bring food',
      startsAt: new Date(Date.now() + 86_400_000).toISOString(),
      endsAt: new Date(Date.now() + 90_000_000).toISOString(),
    });
    expect(created).toBe(201);
    await h.json('PUT', `/users/${blocked.username}/block`, blocker);

    const refusals = [
      await h.json<ErrorReply>('PUT', `/users/${blocker.username}/follow`, blocked),
      await h.json<ErrorReply>('POST', `/posts/${post.id}/comments`, blocked, { body: 'hey' }),
      await h.json<ErrorReply>('PUT', `/posts/${post.id}/like`, blocked),
      await h.json<ErrorReply>('PUT', `/events/${event.id}/participation`, blocked),
    ];
    const transfer = await h.app.request('/api/v1/transfers', {
      method: 'POST',
      headers: {
        authorization: `Bearer ${blocked.token}`,
        'content-type': 'application/json',
        'idempotency-key': crypto.randomUUID(),
      },
      body: JSON.stringify({ to: blocker.username, amountCents: 100 }),
    });
    refusals.push([transfer.status, (await transfer.json()) as ErrorReply]);
    for (const [status, body] of refusals) {
      expect(status).toBe(403);
      expect(body.error.code).toBe('forbidden');
    }
    // Nothing of it happened.
    const [, again] = await h.json<Post>('GET', `/posts/${post.id}`, blocker);
    expect(again).toMatchObject({ likeCount: 0, commentCount: 0 });
  });

  it("makes the blocker's posts, comments and profile 404 to the blocked", async () => {
    const [blocker, blocked] = await pair();
    const post = await h.writePost(blocker, 'not for you');
    await h.json('PUT', `/users/${blocked.username}/block`, blocker);
    for (const path of [
      `/posts/${post.id}`,
      `/posts/${post.id}/comments`,
      `/users/${blocker.username}`,
      `/users/${blocker.username}/posts`,
    ]) {
      const [status, body] = await h.json<ErrorReply>('GET', path, blocked);
      expect(status, path).toBe(404);
      expect(body.error.code).toBe('not_found');
    }
    // Others still see all of it.
    expect((await h.json('GET', `/posts/${post.id}`, null))[0]).toBe(200);
    expect((await h.json('GET', `/users/${blocker.username}`, blocked))[0]).toBe(404);
    // Unblocked: visible again.
    await h.json('DELETE', `/users/${blocked.username}/block`, blocker);
    expect((await h.json('GET', `/posts/${post.id}`, blocked))[0]).toBe(200);
  });

  it('keeps each out of the other’s feeds and comment lists, both ways', async () => {
    const [ann, ben] = await pair();
    const carl = await createUser(ctx.db);
    const annPost = await h.writePost(ann, 'ann writes');
    const benPost = await h.writePost(ben, 'ben writes');
    const carlPost = await h.writePost(carl, 'carl writes');
    await h.json('POST', `/posts/${carlPost.id}/comments`, ben, { body: 'ben comments' });
    await h.json('POST', `/posts/${carlPost.id}/comments`, ann, { body: 'ann comments' });
    await h.json('PUT', `/users/${ben.username}/block`, ann);

    const [, annFeed] = await h.json<Page<Post>>('GET', '/posts?limit=100', ann);
    expect(ids(annFeed)).not.toContain(benPost.id);
    expect(ids(annFeed)).toContain(carlPost.id);
    const [, benFeed] = await h.json<Page<Post>>('GET', '/posts?limit=100', ben);
    expect(ids(benFeed)).not.toContain(annPost.id);
    // The blocker looking at the blocked user's page sees nothing of theirs either.
    expect((await h.json<Page<Post>>('GET', `/users/${ben.username}/posts`, ann))[1].items).toEqual([]);
    const [, annComments] = await h.json<Page<Comment>>('GET', `/posts/${carlPost.id}/comments`, ann);
    expect(annComments.items.map((c) => c.body)).toEqual(['ann comments']);
    const [, benComments] = await h.json<Page<Comment>>('GET', `/posts/${carlPost.id}/comments`, ben);
    expect(benComments.items.map((c) => c.body)).toEqual(['ben comments']);
    // Carl sees both.
    expect(
      (await h.json<Page<Comment>>('GET', `/posts/${carlPost.id}/comments`, carl))[1].items,
    ).toHaveLength(2);
  });

  it('leaves each out of the follower and following lists the other reads', async () => {
    const [ann, ben] = await pair();
    const carl = await createUser(ctx.db);
    await h.json('PUT', `/users/${carl.username}/follow`, ann);
    await h.json('PUT', `/users/${carl.username}/follow`, ben);
    await h.json('PUT', `/users/${ben.username}/block`, ann);
    const followers = async (viewer: TestUser) =>
      (await h.json<Page<User>>('GET', `/users/${carl.username}/followers`, viewer))[1].items.map(
        (u) => u.id,
      );
    expect(await followers(ann)).toEqual([ann.id]);
    expect(await followers(ben)).toEqual([ben.id]);
    expect((await followers(carl)).sort()).toEqual([ann.id, ben.id].sort());
  });

  it('stops notifications caused by the other, both ways', async () => {
    const [blocker, blocked] = await pair();
    const blockedPost = await h.writePost(blocked, 'a post of the blocked');
    await h.json('PUT', `/users/${blocked.username}/block`, blocker);
    // The blocker may still act on the blocked's post (they are not refused), but nothing tells the blocked.
    await h.json('PUT', `/posts/${blockedPost.id}/like`, blocker);
    await h.json('POST', `/posts/${blockedPost.id}/comments`, blocker, { body: 'quietly' });
    expect(await notificationsOf(blocked)).toEqual([]);
  });
});

describe('mutes', () => {
  it('answers { muting, expiresAt }; lists mutes with their end; refuses an end in the past', async () => {
    const [ann, ben] = await pair();
    const carl = await createUser(ctx.db);
    const until = new Date(Date.now() + 3_600_000).toISOString();
    expect(await h.json('PUT', `/users/${ben.username}/mute`, ann, { expiresAt: until })).toEqual([
      200,
      { muting: true, expiresAt: until },
    ]);
    expect(await h.json('PUT', `/users/${carl.username}/mute`, ann)).toEqual([
      200,
      { muting: true, expiresAt: null },
    ]);
    const [, mutes] = await h.json<Page<User & { expiresAt: string | null }>>('GET', '/me/mutes', ann);
    expect(mutes.items.map((u) => [u.username, u.expiresAt])).toEqual([
      [carl.username, null],
      [ben.username, until],
    ]);
    const [status, body] = await h.json<ErrorReply>('PUT', `/users/${ben.username}/mute`, ann, {
      expiresAt: new Date(Date.now() - 1000).toISOString(),
    });
    expect(status).toBe(400);
    expect(body.error.code).toBe('validation_failed');
    expect(await h.json('DELETE', `/users/${ben.username}/mute`, ann)).toEqual([
      200,
      { muting: false, expiresAt: null },
    ]);
    expect(await h.json('DELETE', `/users/${ben.username}/mute`, ann)).toEqual([
      200,
      { muting: false, expiresAt: null },
    ]);
  });

  it("hides the muted user's posts, comments and notifications from the muter only, until it ends", async () => {
    const [muter, muted] = await pair();
    await h.json('PUT', `/users/${muted.username}/follow`, muter);
    const mutedPost = await h.writePost(muted, 'muted words');
    const muterPost = await h.writePost(muter, 'muter words');
    await h.json('PUT', `/users/${muted.username}/mute`, muter);

    await h.json('POST', `/posts/${muterPost.id}/comments`, muted, { body: 'from the muted' });
    await h.json('PUT', `/posts/${muterPost.id}/like`, muted);
    await h.json('PUT', `/users/${muter.username}/follow`, muted);
    expect(await notificationsOf(muter)).toEqual([]);

    for (const path of ['/posts?limit=100', '/feed?limit=100']) {
      expect(ids((await h.json<Page<Post>>('GET', path, muter))[1])).not.toContain(mutedPost.id);
    }
    expect((await h.json<Page<Comment>>('GET', `/posts/${muterPost.id}/comments`, muter))[1].items).toEqual(
      [],
    );
    // The muted user is not told and sees the muter as before; the mute is not a block.
    expect(ids((await h.json<Page<Post>>('GET', '/posts?limit=100', muted))[1])).toContain(muterPost.id);
    expect((await h.json('GET', `/posts/${mutedPost.id}`, muter))[0]).toBe(200);
    // Their only notification is the follow from before the mute: nothing says they are muted.
    expect((await notificationsOf(muted)).map((n) => n.type)).toEqual(['follow']);

    // Past its end (moved there in the database), the mute hides nothing, before any sweep.
    await ctx.db
      .updateTable('mutes')
      .set({ expires_at: new Date(Date.now() - 1000) })
      .where('muter_id', '=', muter.id)
      .execute();
    expect(ids((await h.json<Page<Post>>('GET', '/feed?limit=100', muter))[1])).toContain(mutedPost.id);
    expect(
      (await h.json<Page<Comment>>('GET', `/posts/${muterPost.id}/comments`, muter))[1].items,
    ).toHaveLength(1);
    expect((await h.json<Page<User>>('GET', '/me/mutes', muter))[1].items).toEqual([]);
  });
});
