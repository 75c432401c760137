import type { Page, Post, User } from '@plaza/client/protocol';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FOLLOWING_LIMIT } from '../../server/social/social.service.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { createUser, type TestUser } from '../helpers/factories.ts';
import { type ErrorReply, type Harness, startHarness } from './feed-harness.ts';

let ctx: TestContext;
let h: Harness;

beforeAll(async () => {
  ctx = await createTestContext({ POSTS_PER_MINUTE: '1000' });
  h = startHarness(ctx);
});

afterAll(async () => {
  await h.close();
  await ctx.close();
});

async function countFollowing(userId: string): Promise<number> {
  const { n } = await ctx.db
    .selectFrom('follows')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('follower_id', '=', userId)
    .executeTakeFirstOrThrow();
  return Number(n);
}

async function allPages<T>(path: string, user: TestUser | null, limit: number): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | null = null;
  do {
    const sep = path.includes('?') ? '&' : '?';
    const query: string = `${path}${sep}limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`;
    const [status, page] = await h.json<Page<T>>('GET', query, user);
    expect(status).toBe(200);
    items.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return items;
}

describe('follows over REST', () => {
  it('follows idempotently, counts, notifies the followee once, and unfollows idempotently', async () => {
    const [ann, ben] = [await createUser(ctx.db), await createUser(ctx.db)];
    const follow = () =>
      h.json<{ following: boolean; followerCount: number }>('PUT', `/users/${ben.username}/follow`, ann);
    expect(await follow()).toEqual([200, { following: true, followerCount: 1 }]);
    expect(await follow()).toEqual([200, { following: true, followerCount: 1 }]);
    const [, profile] = await h.json<User>('GET', `/users/${ben.username.toUpperCase()}`, ann);
    expect(profile).toMatchObject({ id: ben.id, followerCount: 1, followingCount: 0, followedByMe: true });
    const [, anonymousView] = await h.json<User>('GET', `/users/${ben.username}`);
    expect(anonymousView.followedByMe).toBe(false);
    const [, annView] = await h.json<User>('GET', `/users/${ann.username}`);
    expect(annView.followingCount).toBe(1);

    const notes = await ctx.db
      .selectFrom('notifications')
      .selectAll()
      .where('user_id', '=', ben.id)
      .execute();
    expect(notes).toHaveLength(1);
    expect(notes[0]).toMatchObject({ type: 'follow', url: `/u/${ann.username}` });

    const unfollow = () => h.json('DELETE', `/users/${ben.username}/follow`, ann);
    expect(await unfollow()).toEqual([200, { following: false, followerCount: 0 }]);
    expect(await unfollow()).toEqual([200, { following: false, followerCount: 0 }]);
    const rows = await ctx.db.selectFrom('follows').selectAll().where('follower_id', '=', ann.id).execute();
    expect(rows).toHaveLength(0);
  });

  it('refuses self-follow with 400, anonymous follow with 401, an unknown user with 404', async () => {
    const ann = await createUser(ctx.db);
    const [status, reply] = await h.json<ErrorReply>('PUT', `/users/${ann.username}/follow`, ann);
    expect(status).toBe(400);
    expect(reply.error.code).toBe('validation_failed');
    expect((await h.call('PUT', `/users/${ann.username}/follow`)).status).toBe(401);
    expect((await h.call('PUT', '/users/nobody_here_at_all/follow', ann)).status).toBe(404);
    expect((await h.call('GET', '/users/nobody_here_at_all')).status).toBe(404);
  });

  it('stops at FOLLOWING_LIMIT follows, also when a burst of follows races the last places', async () => {
    const ann = await createUser(ctx.db);
    const others = await Promise.all(Array.from({ length: 6 }, () => createUser(ctx.db)));
    // Ann follows FOLLOWING_LIMIT − 2 accounts made for it in one statement each.
    const prefix = `pad${ann.username.slice(-8)}_`;
    await sql`
      insert into users (id, email, username, display_name, password_hash, email_verified_at)
      select gen_random_uuid(), ${prefix} || n || '@pad.test', ${prefix} || n, 'Pad', 'x', now()
      from generate_series(1, ${FOLLOWING_LIMIT - 2}) as n
    `.execute(ctx.db);
    await sql`
      insert into follows (follower_id, followee_id, created_at)
      select ${ann.id}, u.id, now() from users u where u.username like ${`${prefix}%`}
    `.execute(ctx.db);
    expect(await countFollowing(ann.id)).toBe(FOLLOWING_LIMIT - 2);

    const results = await Promise.all(
      others.map((o) => h.json<ErrorReply>('PUT', `/users/${o.username}/follow`, ann)),
    );
    expect(results.filter(([status]) => status === 200)).toHaveLength(2);
    const refused = results.filter(([status]) => status === 409);
    expect(refused).toHaveLength(4);
    expect(refused[0]![1].error.details).toEqual({ limit: FOLLOWING_LIMIT });
    expect(await countFollowing(ann.id)).toBe(FOLLOWING_LIMIT);
    // At the limit, following someone already followed stays idempotent; unfollowing frees a place.
    const followed = others[results.findIndex(([status]) => status === 200)]!;
    expect((await h.json('PUT', `/users/${followed.username}/follow`, ann))[0]).toBe(200);
    await h.json('DELETE', `/users/${followed.username}/follow`, ann);
    const waiting = others[results.findIndex(([status]) => status === 409)]!;
    expect((await h.json('PUT', `/users/${waiting.username}/follow`, ann))[0]).toBe(200);
  });

  it('pages followers and following newest first', async () => {
    const star = await createUser(ctx.db);
    const fans = [];
    for (let i = 0; i < 5; i++) {
      const fan = await createUser(ctx.db);
      await h.json('PUT', `/users/${star.username}/follow`, fan);
      fans.push(fan);
    }
    const followers = await allPages<User>(`/users/${star.username}/followers`, fans[0]!, 2);
    expect(followers.map((u) => u.id)).toEqual(fans.map((f) => f.id).reverse());
    expect(followers.every((u) => u.followingCount === 1)).toBe(true);
    const following = await allPages<User>(`/users/${fans[0]!.username}/following`, null, 2);
    expect(following.map((u) => u.id)).toEqual([star.id]);
    expect(following[0]!.followerCount).toBe(5);
  });
});

describe('feeds over REST', () => {
  it("home holds the user's own posts and those of followed authors, newest first, and needs auth", async () => {
    const [me, friend, stranger] = [
      await createUser(ctx.db),
      await createUser(ctx.db),
      await createUser(ctx.db),
    ];
    await h.json('PUT', `/users/${friend.username}/follow`, me);
    const mine = await h.writePost(me, 'mine');
    const theirs = await h.writePost(friend, 'theirs');
    await h.writePost(stranger, 'not for me');
    const [, home] = await h.json<Page<Post>>('GET', '/feed', me);
    expect(home.items.map((p) => p.id)).toEqual([theirs.id, mine.id]);
    const [status, reply] = await h.json<ErrorReply>('GET', '/feed');
    expect(status).toBe(401);
    expect(reply.error.code).toBe('unauthenticated');

    const [, byUser] = await h.json<Page<Post>>('GET', `/users/${friend.username}/posts`);
    expect(byUser.items.map((p) => p.id)).toEqual([theirs.id]);
  });

  it('keeps keyset pages stable while new posts arrive', async () => {
    const author = await createUser(ctx.db);
    const older: Post[] = [];
    for (let i = 0; i < 12; i++) older.push(await h.writePost(author, `old ${i}`));
    const seen: string[] = [];
    let cursor: string | null = null;
    let page = 0;
    do {
      const query: string = `/users/${author.username}/posts?limit=5${cursor ? `&cursor=${cursor}` : ''}`;
      const [, result] = await h.json<Page<Post>>('GET', query);
      seen.push(...result.items.map((p) => p.id));
      cursor = result.nextCursor;
      // Newer posts land between page reads, in the global feed and this author's.
      await h.writePost(author, `new ${page++}`);
    } while (cursor);
    expect(seen).toEqual(older.map((p) => p.id).reverse());

    const global = await allPages<Post>('/posts', null, 7);
    const ids = global.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    const times = global.map((p) => p.createdAt);
    expect([...times].sort().reverse()).toEqual(times);
  });
});

describe('OpenAPI document', () => {
  it('documents every feed route with its error responses', async () => {
    const res = await h.call('GET', '/openapi.json');
    expect(res.status).toBe(200);
    const doc = (await res.json()) as {
      paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
    };
    const expected: Array<[string, string, string[]]> = [
      ['/posts', 'post', ['201', '401', '429']],
      ['/posts/{id}', 'patch', ['200', '401', '403', '404']],
      ['/posts/{id}', 'delete', ['204', '403']],
      ['/posts/{id}/like', 'put', ['200', '404']],
      ['/posts/{id}/comments', 'post', ['201', '404']],
      ['/comments/{id}', 'delete', ['204', '403']],
      ['/feed', 'get', ['200', '401']],
      ['/users/{username}/follow', 'put', ['200', '400', '404']],
      ['/users/{username}/followers', 'get', ['200', '404']],
    ];
    for (const [path, method, statuses] of expected) {
      const operation = doc.paths[`/api/v1${path}`]?.[method] ?? doc.paths[path]?.[method];
      expect(operation, `${method} ${path}`).toBeDefined();
      for (const status of statuses)
        expect(operation!.responses[status], `${method} ${path} ${status}`).toBeDefined();
    }
  });
});
