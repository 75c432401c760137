// The anonymous first page of the global feed is cached by seq: never stale past a push. Every GET must
// be a consistent snapshot — whatever the page lacks has a seq above its X-Plaza-Seq, so a client that
// resumes from that header gets it as a push — and a change shows on both instances once they know its seq.
import type { Page, Post } from '@plaza/client/protocol';
import { SEQ_HEADER } from '@plaza/client/protocol';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FirstPageCache } from '../../server/posts/first-page-cache.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { bearer, createUser, type TestUser } from '../helpers/factories.ts';
import { type PlazaProcess, startServer, stopAll } from '../helpers/processes.ts';
import { waitFor } from '../helpers/wait.ts';
import { rest, writePost } from './feed-live.ts';

let ctx: TestContext;
let a: PlazaProcess;
let b: PlazaProcess;

beforeAll(async () => {
  ctx = await createTestContext({ POSTS_PER_MINUTE: '1000' });
  [a, b] = await Promise.all([startServer(ctx.env, 'cache-a'), startServer(ctx.env, 'cache-b')]);
});

afterAll(async () => {
  await stopAll([a, b]);
  await ctx.close();
});

interface Snapshot {
  page: Page<Post>;
  seq: number;
}

async function firstPage(baseUrl: string, user: TestUser | null = null, limit = 20): Promise<Snapshot> {
  const res = await fetch(`${baseUrl}/api/v1/posts?limit=${limit}`, { headers: user ? bearer(user) : {} });
  expect(res.status).toBe(200);
  return { page: (await res.json()) as Page<Post>, seq: Number(res.headers.get(SEQ_HEADER)) };
}

/** The seq of the newest event about `postId` of `type`, once the relay has assigned it. */
async function seqOf(type: string, postId: string): Promise<number> {
  return waitFor(
    async () => {
      const { rows } = await sql<{ seq: number | null }>`
        select max(seq) as seq from event_log
        where type = ${type} and coalesce(data->'post'->>'id', data->>'postId') = ${postId}`.execute(ctx.db);
      return rows[0]?.seq ?? null;
    },
    { what: `${type} of ${postId} relayed` },
  );
}

/** Polls a page until `done`; every snapshot on the way must say the change is still to come. */
async function untilVisible(
  baseUrl: string,
  changeSeq: number,
  done: (snapshot: Snapshot) => boolean,
): Promise<Snapshot> {
  const stalePastTheChange: number[] = [];
  const visible = await waitFor(
    async () => {
      const snapshot = await firstPage(baseUrl);
      if (done(snapshot)) return snapshot;
      // Stale page: only allowed while its header promises the change as a push after it.
      if (snapshot.seq >= changeSeq) stalePastTheChange.push(snapshot.seq);
      return null;
    },
    { what: 'the change on the cached first page', intervalMs: 5 },
  );
  expect(stalePastTheChange, `pages without the change of seq ${changeSeq}`).toEqual([]);
  return visible;
}

describe('the cached first page of the feed', () => {
  it('answers repeated anonymous reads with the same snapshot', async () => {
    const ann = await createUser(ctx.db);
    const post = await writePost(a.url, ann, 'before the reads');
    await seqOf('post:created', post.id);
    const first = await waitFor(
      async () => {
        const s = await firstPage(a.url);
        return s.page.items.some((p) => p.body === 'before the reads') ? s : null;
      },
      { what: 'the post on the page' },
    );
    const second = await firstPage(a.url);
    expect(second.seq).toBeGreaterThanOrEqual(first.seq);
    if (second.seq === first.seq) expect(second.page).toEqual(first.page);
  });

  it('shows a new post, a like and a delete on both instances, never stale past its seq', async () => {
    const [ann, ben] = [await createUser(ctx.db), await createUser(ctx.db)];
    // Warm both instances' caches.
    await Promise.all([firstPage(a.url), firstPage(b.url), firstPage(b.url, null, 5)]);

    const post = await writePost(a.url, ann, 'fresh on the feed');
    const created = await seqOf('post:created', post.id);
    for (const url of [a.url, b.url]) {
      await untilVisible(url, created, (x) => x.page.items[0]?.id === post.id);
    }
    // Another limit is its own entry, and just as fresh.
    await waitFor(async () => (await firstPage(b.url, null, 5)).page.items[0]?.id === post.id, {
      what: 'the post on the page of 5',
    });

    expect((await rest(b.url, 'PUT', `/posts/${post.id}/like`, ben))[0]).toBe(200);
    const liked = await seqOf('post:stats', post.id);
    for (const url of [a.url, b.url]) {
      await untilVisible(url, liked, (x) => x.page.items.find((p) => p.id === post.id)?.likeCount === 1);
    }
    // A signed-in reader is never served the shared page: their likes are on it at once.
    const mine = await firstPage(a.url, ben);
    expect(mine.page.items.find((p) => p.id === post.id)).toMatchObject({ likeCount: 1, likedByMe: true });

    expect((await rest(a.url, 'DELETE', `/posts/${post.id}`, ann))[0]).toBe(204);
    const deleted = await seqOf('post:deleted', post.id);
    for (const url of [a.url, b.url]) {
      await untilVisible(url, deleted, (x) => !x.page.items.some((p) => p.id === post.id));
    }
  });

  it('pages after the first are read afresh', async () => {
    const ann = await createUser(ctx.db);
    for (let i = 0; i < 3; i++) await writePost(a.url, ann, `paged ${i}`);
    const [, page1] = await rest<Page<Post>>(a.url, 'GET', '/posts?limit=2', null);
    const [, page2] = await rest<Page<Post>>(a.url, 'GET', `/posts?limit=2&cursor=${page1.nextCursor}`, null);
    expect(page2.items).toHaveLength(2);
    expect(page2.items.map((p) => p.id)).not.toContain(page1.items[0]!.id);
  });
});

describe('FirstPageCache', () => {
  it('shares one load among concurrent misses, serves older seqs from a newer page, and forgets failures', async () => {
    const cache = new FirstPageCache<number>();
    let loads = 0;
    const load = (value: number) => () => {
      loads++;
      return new Promise<number>((resolve) => setTimeout(() => resolve(value), 20));
    };
    const burst = await Promise.all(Array.from({ length: 10 }, () => cache.get(20, 5, load(1))));
    expect(burst).toEqual(Array(10).fill(1));
    expect(loads).toBe(1);
    expect(await cache.get(20, 4, load(2))).toBe(1); // built at 5: holds everything up to 4 too
    expect(await cache.get(20, 6, load(3))).toBe(3); // a newer seq: built again
    expect(loads).toBe(2);

    await expect(cache.get(10, 1, () => Promise.reject(new Error('db away')))).rejects.toThrow('db away');
    expect(await cache.get(10, 1, load(4))).toBe(4);
  });
});
