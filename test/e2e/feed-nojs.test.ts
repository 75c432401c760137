// The feed pages with JavaScript disabled: reading, posting, commenting, liking, following, editing and
// deleting all work through plain forms, each ending back on the page with the change shown.
import { createClient } from '@plaza/client';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../helpers/browser.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { createUser, type TestUser } from '../helpers/factories.ts';
import { type PlazaProcess, startServer, stopAll } from '../helpers/processes.ts';

let ctx: TestContext;
let server: PlazaProcess;
let browser: Browser;

async function withoutScript(user: TestUser | null, at: string): Promise<Page> {
  const context = await browser.newContext({
    javaScriptEnabled: false,
    viewport: { width: 1000, height: 900 },
  });
  if (user) {
    await context.addCookies([
      { name: 'plaza_session', value: user.token, url: server.url, httpOnly: true, sameSite: 'Lax' },
    ]);
  }
  const page = await context.newPage();
  await page.goto(`${server.url}${at}`);
  return page;
}

beforeAll(async () => {
  ctx = await createTestContext();
  [server, browser] = await Promise.all([startServer(ctx.env, 'feed-nojs'), launchChromium()]);
});

afterAll(async () => {
  await browser?.close();
  await stopAll([server]);
  await ctx?.close();
});

describe('feed pages without JavaScript', () => {
  it('reads, posts, comments, likes and follows through forms, back on the page each time', async () => {
    const friend = await createUser(ctx.db);
    const me = await createUser(ctx.db);
    const theirs = await createClient({ url: server.url, token: friend.token }).posts.create(
      'Theirs to read',
    );

    const anonymous = await withoutScript(null, '/');
    expect(await anonymous.textContent(`#post-${theirs.id} .body`)).toBe('Theirs to read');
    expect(await anonymous.locator('a[href="/login?next=%2F"]').count()).toBeGreaterThan(0);

    const page = await withoutScript(me, '/');
    await page.fill('#composer textarea', 'Posted without a script');
    await page.click('#composer button[type=submit]');
    await page.waitForURL(`${server.url}/`);
    const mine = page.locator('.post', { hasText: 'Posted without a script' });
    expect(await mine.count()).toBe(1);

    await page.goto(`${server.url}/posts/${theirs.id}`);
    await page.fill('#comment-form textarea', 'Commented without a script');
    await page.click('#comment-form button[type=submit]');
    await page.waitForURL(`${server.url}/posts/${theirs.id}`);
    expect(await page.locator('.comment', { hasText: 'Commented without a script' }).count()).toBe(1);
    expect(await page.textContent(`#post-${theirs.id} .comment-link`)).toContain('1 comment');

    await page.click(`#post-${theirs.id} button.like`);
    await page.waitForURL(`${server.url}/posts/${theirs.id}#post-${theirs.id}`);
    expect(await page.getAttribute(`#post-${theirs.id} button.like`, 'aria-pressed')).toBe('true');
    expect(await page.textContent(`#post-${theirs.id} .likes`)).toContain('1 like');
    await page.click(`#post-${theirs.id} button.like`);
    await page.waitForURL(`${server.url}/posts/${theirs.id}#post-${theirs.id}`);
    expect(await page.getAttribute(`#post-${theirs.id} button.like`, 'aria-pressed')).toBe('false');

    await page.goto(`${server.url}/u/${friend.username}`);
    await page.click('#follow');
    await page.waitForURL(`${server.url}/u/${friend.username}`);
    expect(await page.textContent('#follow')).toContain('Following');
    expect(await page.textContent('.follower-line')).toContain('1 follower');
    await page.goto(`${server.url}/home`);
    expect(await page.locator(`#post-${theirs.id}`).count()).toBe(1);
    expect(await page.locator('.post', { hasText: 'Posted without a script' }).count()).toBe(1);
  });

  it('a 10,000-character post is refused in words, not cut', async () => {
    const me = await createUser(ctx.db);
    const page = await withoutScript(me, '/');
    await page.fill('#composer textarea', 'z'.repeat(10_000));
    expect(
      await page.locator('#composer textarea').evaluate((el) => (el as HTMLTextAreaElement).value.length),
    ).toBe(10_000);
    await page.click('#composer button[type=submit]');
    await page.waitForURL(`${server.url}/`);
    expect(await page.textContent('.flash.error')).toContain('Post: at most 5000 characters');
    expect(await page.locator('.post', { hasText: 'zzzz' }).count()).toBe(0);
  });

  it('the author edits and deletes a post and a comment through forms; a moderator deletes a post', async () => {
    const author = await createUser(ctx.db);
    const moderator = await createUser(ctx.db, { role: 'moderator' });
    const sdk = createClient({ url: server.url, token: author.token });
    const post = await sdk.posts.create('Draft one');
    await sdk.posts.comment(post.id, 'Comment to delete');
    const page = await withoutScript(author, `/posts/${post.id}`);
    await page.click('#edit-post summary');
    await page.fill('#edit-form textarea', 'Draft two');
    await page.click('#edit-form button[type=submit]');
    await page.waitForURL(`${server.url}/posts/${post.id}`);
    expect(await page.textContent(`#post-${post.id} .body`)).toBe('Draft two');
    const comment = page.locator('.comment', { hasText: 'Comment to delete' });
    await comment.locator('summary').click();
    await comment.locator('button[type=submit]').click();
    await page.waitForURL(`${server.url}/posts/${post.id}`);
    expect(await page.locator('.comment', { hasText: 'Comment to delete' }).count()).toBe(0);
    await page.click('#delete-post summary');
    await page.click('#delete-form button[type=submit]');
    await page.waitForURL(`${server.url}/`);
    expect(await page.textContent('.flash')).toContain('Post deleted');

    const other = await sdk.posts.create('Removed by a moderator');
    const mod = await withoutScript(moderator, `/posts/${other.id}`);
    expect(await mod.locator('#edit-post').count()).toBe(0);
    await mod.click('#delete-post summary');
    await mod.click('#delete-form button[type=submit]');
    await mod.waitForURL(`${server.url}/`);
    expect((await fetch(`${server.url}/api/v1/posts/${other.id}`)).status).toBe(404);
  });
});
