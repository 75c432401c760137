// "N watching" on the post and event pages in Chromium: two readers on two instances see each other arrive
// and leave; without the script nothing is shown. Screenshots at 1280×800 and 390×844.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { createClient } from '@plaza/client';
import type { Browser, BrowserContextOptions, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writePost } from '../feed/feed-live.ts';
import { launchChromium } from '../helpers/browser.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { createUser, type TestUser } from '../helpers/factories.ts';
import { type PlazaProcess, startServer, stopAll } from '../helpers/processes.ts';

const shots = path.resolve('test-output/screenshots');
const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };

let ctx: TestContext;
let a: PlazaProcess;
let b: PlazaProcess;
let browser: Browser;
const errors: string[] = [];

async function pageAs(
  user: TestUser | null,
  server: PlazaProcess,
  options: BrowserContextOptions,
): Promise<Page> {
  const context = await browser.newContext(options);
  if (user) {
    await context.addCookies([
      { name: 'plaza_session', value: user.token, url: server.url, httpOnly: true, sameSite: 'Lax' },
    ]);
  }
  const page = await context.newPage();
  page.on('pageerror', (error) => errors.push(error.message));
  return page;
}

const watching = (page: Page, text: string) =>
  page.waitForFunction(
    (want) => {
      const element = document.getElementById('watching');
      return element !== null && !element.hidden && element.textContent?.trim() === want;
    },
    text,
    // No deadline of its own: the contract's 1 s is test/presence/presence.test.ts's to hold; here a page on a
    // loaded machine loads, connects and asks in its own time, bounded by the test's timeout.
    { timeout: 0 },
  );

beforeAll(async () => {
  ctx = await createTestContext();
  [a, b, browser] = await Promise.all([
    startServer(ctx.env, 'watching-a'),
    startServer(ctx.env, 'watching-b'),
    launchChromium(),
  ]);
  mkdirSync(shots, { recursive: true });
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await stopAll([a, b]);
  await ctx?.close();
});

describe('"N watching" on the pages', () => {
  it('a post page counts its readers on both instances, live, and says nothing without the script', async () => {
    const [author, reader] = [await createUser(ctx.db), await createUser(ctx.db)];
    const post = await writePost(a.url, author, 'Who else is reading this?');
    const desktop = await pageAs(reader, a, { viewport: DESKTOP });
    await desktop.goto(`${a.url}/posts/${post.id}`);
    await watching(desktop, '1 watching');

    const phone = await pageAs(null, b, { viewport: PHONE, isMobile: true, hasTouch: true });
    await phone.goto(`${b.url}/posts/${post.id}`);
    await Promise.all([watching(desktop, '2 watching'), watching(phone, '2 watching')]);
    await desktop.screenshot({ path: path.join(shots, 'post-watching-desktop.png') });
    await phone.screenshot({ path: path.join(shots, 'post-watching-phone.png') });

    await phone.context().close();
    await watching(desktop, '1 watching');

    const noScript = await pageAs(reader, a, { viewport: DESKTOP, javaScriptEnabled: false });
    await noScript.goto(`${a.url}/posts/${post.id}`);
    expect(await noScript.isVisible('#watching')).toBe(false);
    expect(await noScript.textContent('main')).not.toContain('watching');
    await noScript.context().close();
    await desktop.context().close();
    expect(errors).toEqual([]);
  });

  it('a reader who reloads the page at once is counted again', async () => {
    const [author, reader] = [await createUser(ctx.db), await createUser(ctx.db)];
    const post = await writePost(a.url, author, 'Reload me');
    for (let i = 0; i < 3; i++) {
      // The same numbers as before the reload ("1 watching"): the push that counts the new view in is the
      // one the previous numbers already made, so the page must not rely on it.
      const page = await pageAs(reader, a, { viewport: PHONE, isMobile: true, hasTouch: true });
      await page.goto(`${a.url}/posts/${post.id}`);
      await watching(page, '1 watching');
      await page.context().close();
    }
    expect(errors).toEqual([]);
  });

  it('an event page shows its watchers at both sizes', async () => {
    const organizer = await createUser(ctx.db);
    const event = await createClient({ url: a.url, token: organizer.token }).events.create({
      title: 'Picnic by the river',
      description: 'Bring something to share.',
      location: 'Riverside park',
      startsAt: new Date(Date.now() + 5 * 86_400_000).toISOString(),
      endsAt: new Date(Date.now() + 5.1 * 86_400_000).toISOString(),
    });
    const desktop = await pageAs(organizer, a, { viewport: DESKTOP });
    const phone = await pageAs(null, b, { viewport: PHONE, isMobile: true, hasTouch: true });
    await desktop.goto(`${a.url}/events/${event.id}`);
    await phone.goto(`${b.url}/events/${event.id}`);
    await Promise.all([watching(desktop, '2 watching'), watching(phone, '2 watching')]);
    await desktop.screenshot({ path: path.join(shots, 'event-watching-desktop.png') });
    await phone.screenshot({ path: path.join(shots, 'event-watching-phone.png') });
    await desktop.context().close();
    await watching(phone, '1 watching');
    await phone.context().close();
    expect(errors).toEqual([]);
  });
});
