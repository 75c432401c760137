// The feed pages in Chromium with the bundle: likes that show, the character counter, following that
// shows (and fills /home), edit and delete, a signed-out like; two instances where it moves live.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { createClient } from '@plaza/client';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../helpers/browser.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { bearer, createUser, type TestUser } from '../helpers/factories.ts';
import { type PlazaProcess, startServer, stopAll } from '../helpers/processes.ts';

let ctx: TestContext;
let a: PlazaProcess;
let b: PlazaProcess;
let browser: Browser;
const errors: string[] = [];
const screenshots = path.resolve('test-output/screenshots');

async function signedIn(user: TestUser | null, server: PlazaProcess, at: string, width = 1280, height = 900) {
  const context = await browser.newContext({ viewport: { width, height } });
  if (user) {
    await context.addCookies([
      { name: 'plaza_session', value: user.token, url: server.url, httpOnly: true, sameSite: 'Lax' },
    ]);
  }
  const page = await context.newPage();
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto(`${server.url}${at}`);
  await page.waitForSelector('body[data-live="ready"]');
  return page;
}

const api = (user: TestUser, server = a) => createClient({ url: server.url, token: user.token });
const colorOf = (page: Page, selector: string) =>
  page.locator(selector).evaluate((el) => getComputedStyle(el).color);

beforeAll(async () => {
  ctx = await createTestContext();
  [a, b, browser] = await Promise.all([
    startServer(ctx.env, 'feed-a'),
    startServer(ctx.env, 'feed-b'),
    launchChromium(),
  ]);
});

afterAll(async () => {
  await browser?.close();
  await stopAll([a, b]);
  await ctx?.close();
});

describe('feed pages in Chromium', () => {
  it('a liked heart looks unlike an unliked one and says so (aria-pressed), also for another reader live', async () => {
    const author = await createUser(ctx.db);
    const fan = await createUser(ctx.db);
    const liked = await api(author).posts.create('Like me');
    const other = await api(author).posts.create('Leave me');
    const page = await signedIn(fan, a, '/');
    const heart = `#post-${liked.id} button.like`;
    const unliked = `#post-${other.id} button.like`;
    expect(await colorOf(page, heart)).toBe(await colorOf(page, unliked));
    const watcher = await signedIn(author, b, `/posts/${liked.id}`);

    await page.click(heart);
    await expect.poll(() => page.getAttribute(heart, 'aria-pressed')).toBe('true');
    expect(await colorOf(page, heart)).not.toBe(await colorOf(page, unliked));
    expect(await page.textContent(`#post-${liked.id} .likes`)).toContain('1 like');
    await expect.poll(() => watcher.textContent(`#post-${liked.id} .likes`)).toContain('1 like');
    expect(await watcher.textContent(`#post-${liked.id} .likes`)).not.toContain('likes');

    // The server's first paint of a liked post shows it too.
    await page.reload();
    expect(await page.getAttribute(heart, 'aria-pressed')).toBe('true');
    expect(await colorOf(page, heart)).not.toBe(await colorOf(page, unliked));
    await page.click(heart);
    await expect.poll(() => page.getAttribute(heart, 'aria-pressed')).toBe('false');
    expect(await page.textContent(`#post-${liked.id} .likes`)).toContain('0 likes');
    expect(errors).toEqual([]);
  });

  it('the composer counts characters before the limit and refuses a 10,000-character paste instead of cutting it', async () => {
    const writer = await createUser(ctx.db);
    const page = await signedIn(writer, a, '/');
    await page.fill('#composer textarea', 'x'.repeat(4_980));
    expect(await page.textContent('#composer .counter')).toContain('4,980 / 5,000');
    await page.fill('#composer textarea', 'y'.repeat(10_000));
    expect(
      await page.locator('#composer textarea').evaluate((el) => (el as HTMLTextAreaElement).value.length),
    ).toBe(10_000);
    expect(await page.textContent('#composer .counter')).toContain('10,000 / 5,000');
    await page.click('#composer button[type=submit]');
    await expect.poll(() => page.textContent('#composer .error')).toContain('Post: at most 5,000 characters');
    expect((await api(writer).users.posts(writer.username)).items).toEqual([]);
    expect(errors).toEqual([]);
  });

  it('following shows Following, moves the counts with plurals, and brings their posts to /home, live', async () => {
    const followed = await createUser(ctx.db);
    const reader = await createUser(ctx.db);
    const first = await api(followed).posts.create('Before the follow');
    const page = await signedIn(reader, a, `/u/${followed.username}`);
    expect(await page.textContent('#follow')).toContain('Follow');
    expect(await page.textContent('.follower-line')).toContain('0 followers');

    await page.click('#follow');
    await expect.poll(() => page.getAttribute('#follow', 'aria-pressed')).toBe('true');
    expect(await page.textContent('#follow')).toContain('Following');
    expect(await page.textContent('.follower-line')).toContain('1 follower');
    expect(await page.textContent('.follower-line')).not.toContain('followers');

    await page.click('nav a[href="/home"]');
    await page.waitForSelector('body[data-live="ready"]');
    await page.locator(`#post-${first.id}`).waitFor();
    const later = await api(followed, b).posts.create('After the follow, on the other instance');
    await page.locator(`#post-${later.id}`).waitFor();
    expect(errors).toEqual([]);
  });

  it('the author edits and deletes a post and deletes a comment on it', async () => {
    const author = await createUser(ctx.db);
    const commenter = await createUser(ctx.db);
    const post = await api(author).posts.create('First draft');
    await api(commenter).posts.comment(post.id, 'A comment to remove');
    const page = await signedIn(author, a, `/posts/${post.id}`);
    expect(await page.textContent(`#post-${post.id} .comment-link`)).toContain('1 comment');
    expect(await page.textContent(`#post-${post.id} .comment-link`)).not.toContain('comments');

    await page.click('#edit-post summary');
    await page.fill('#edit-form textarea', 'Second draft');
    await page.click('#edit-form button[type=submit]');
    await expect.poll(() => page.textContent(`#post-${post.id} .body`)).toBe('Second draft');
    expect(await page.textContent(`#post-${post.id} .meta`)).toContain('edited');

    const comment = page.locator('.comment', { hasText: 'A comment to remove' });
    await comment.locator('.delete-comment summary').click();
    await comment.locator('.delete-comment button[type=submit]').click();
    await expect.poll(() => comment.count()).toBe(0);
    await expect.poll(() => page.textContent(`#post-${post.id} .comment-link`)).toContain('0 comments');

    await page.click('#delete-post summary');
    await page.click('#delete-form button[type=submit]');
    await page.waitForURL(`${a.url}/`);
    expect(await page.locator(`#post-${post.id}`).count()).toBe(0);
    expect((await fetch(`${a.url}/api/v1/posts/${post.id}`)).status).toBe(404);
    expect(errors).toEqual([]);
  });

  it('signed out in another tab, a like says how to sign in again instead of throwing', async () => {
    const user = await createUser(ctx.db);
    const author = await createUser(ctx.db);
    const post = await api(author).posts.create('Like me later');
    const page = await signedIn(user, a, '/');
    const res = await fetch(`${a.url}/api/v1/auth/logout`, { method: 'POST', headers: bearer(user) });
    expect(res.status).toBe(204);
    await page.click(`#post-${post.id} button.like`);
    const alert = page.locator('#main .flash.error');
    await expect.poll(() => alert.textContent()).toContain('You are signed out');
    expect(await alert.locator('a').getAttribute('href')).toBe('/login?next=%2F');
    expect(await alert.locator('a').textContent()).toBe('Sign in again');
    expect(errors).toEqual([]);
  });

  it('anonymous readers get sign-in links instead of forms', async () => {
    const author = await createUser(ctx.db);
    const post = await api(author).posts.create('Read me');
    const page = await signedIn(null, b, `/posts/${post.id}`);
    expect(await page.locator('#main form').count()).toBe(0);
    const next = encodeURIComponent(`/posts/${post.id}`);
    expect(await page.locator(`a[href="/login?next=${next}"]`).count()).toBeGreaterThan(0);
    await page.goto(`${b.url}/`);
    expect(await page.textContent('#main')).toContain('Sign in to post');
    const home = await fetch(`${b.url}/home`, { redirect: 'manual' });
    expect(home.status).toBe(302);
    expect(home.headers.get('location')).toBe('/login?next=%2Fhome');
  });

  it('screenshots of the feed pages, desktop and phone', async () => {
    const me = await createUser(ctx.db, { displayName: 'Grace Hopper' });
    const friend = await createUser(ctx.db, { displayName: 'Ada Lovelace' });
    await api(me).users.follow(friend.username);
    const post = await api(friend).posts.create(
      'A longer post to see how the text wraps on a phone. It has two sentences, and a link-free body.',
    );
    await api(me).posts.comment(post.id, 'A comment under it.');
    await api(me).posts.like(post.id);
    await api(me).posts.create('My own post.');
    mkdirSync(screenshots, { recursive: true });
    for (const [size, width, height] of [
      ['desktop', 1280, 900],
      ['phone', 390, 844],
    ] as const) {
      for (const [name, at] of [
        ['feed', '/'],
        ['home', '/home'],
        ['post', `/posts/${post.id}`],
        ['profile', `/u/${friend.username}`],
      ] as const) {
        const page = await signedIn(me, a, at, width, height);
        await page.screenshot({ path: path.join(screenshots, `${name}-${size}.png`), fullPage: true });
        await page.context().close();
      }
    }
    expect(errors).toEqual([]);
  }, 120_000);
});
