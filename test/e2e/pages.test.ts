import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { createClient } from '@plaza/client';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { captchaSolved, launchChromium } from '../helpers/browser.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { createUser } from '../helpers/factories.ts';
import { type PlazaProcess, startServer, startWorkers, stopAll } from '../helpers/processes.ts';
import { type SmtpSink, startSmtpSink } from '../helpers/smtp-sink.ts';

const outputDir = path.resolve('test-output');

let ctx: TestContext;
let sink: SmtpSink;
let server: PlazaProcess;
let other: PlazaProcess;
let workers: PlazaProcess;
let browser: Browser;
const errors: string[] = [];

async function newPage(width = 1100, height = 900): Promise<Page> {
  const context = await browser.newContext({ viewport: { width, height } });
  const page = await context.newPage();
  page.on('pageerror', (error) => errors.push(error.message));
  return page;
}

beforeAll(async () => {
  ctx = await createTestContext();
  sink = await startSmtpSink();
  [server, other, workers, browser] = await Promise.all([
    startServer(ctx.env, 'web-a'),
    startServer(ctx.env, 'web-b'),
    startWorkers({ ...ctx.env, SMTP_URL: sink.url }, ['email']),
    launchChromium(),
  ]);
});

afterAll(async () => {
  await browser?.close();
  await stopAll([server, other, workers]);
  await sink?.close();
  await ctx?.close();
});

describe('pages in Chromium', () => {
  it('a person signs up, posts, comments and likes while an anonymous reader on another instance sees it live', async () => {
    // The reader watches the feed on instance B, without signing in.
    const reader = await newPage();
    await reader.goto(`${other.url}/`);
    await reader.waitForSelector('body[data-live="ready"]');

    // The writer registers on instance A; the code comes by email.
    const writer = await newPage();
    const username = `ada${Date.now().toString(36).slice(-6)}`;
    const email = `${username}@example.test`;
    await writer.goto(`${server.url}/register`);
    await writer.fill('input[name=email]', email);
    await writer.fill('input[name=username]', username);
    await writer.fill('input[name=displayName]', 'Ada Lovelace');
    await writer.fill('input[name=password]', 'correct horse battery');
    await captchaSolved(writer, '#register-form');
    await writer.click('#register-form button[type=submit]');
    await writer.waitForURL(/\/verify\?email=/);
    const mail = await sink.waitForMessage(email);
    const code = /\b(\d{6})\b/.exec(mail.text)?.[1];
    expect(code).toBeDefined();
    await writer.fill('input[name=code]', code!);
    await writer.click('#verify-form button[type=submit]');
    await writer.waitForURL(`${server.url}/`);
    await writer.waitForSelector('#composer');
    expect(await writer.textContent('.account')).toContain(`@${username}`);

    // A post appears for the reader without a reload.
    await writer.fill('#composer textarea', 'Hello from the browser <b>not bold</b>');
    await writer.click('#composer button[type=submit]');
    const readerPost = reader.locator('.post', { hasText: 'Hello from the browser' });
    await readerPost.waitFor();
    expect(await readerPost.locator('.body').textContent()).toBe('Hello from the browser <b>not bold</b>');
    expect(await reader.locator('.post b').count()).toBe(0);

    // A comment and a like move the reader's counters live.
    const postId = await readerPost.getAttribute('data-post-id');
    await writer.goto(`${server.url}/posts/${postId}`);
    await writer.fill('#comment-form textarea', 'First comment');
    await writer.click('#comment-form button[type=submit]');
    await writer.locator('.comment', { hasText: 'First comment' }).waitFor();
    await writer.click(`[data-like="${postId}"]`);
    await expect.poll(() => readerPost.locator('.comment-count').textContent()).toBe('1');
    await expect.poll(() => readerPost.locator('.like-count').textContent()).toBe('1');

    // Logging out and back in with the password, CAPTCHA solved by the widget in the page.
    await writer.click('#logout');
    await writer.waitForSelector('a[href="/login"]');
    await writer.goto(`${server.url}/login?next=/notifications`);
    await writer.fill('#login-form input[name=login]', username);
    await writer.fill('#login-form input[name=password]', 'correct horse battery');
    await captchaSolved(writer, '#login-form');
    await writer.click('#login-form button[type=submit]');
    await writer.waitForURL(`${server.url}/notifications`);
    expect(await writer.textContent('.account')).toContain(`@${username}`);

    // Phone-sized screenshot of the feed, kept with the test output.
    const phone = await newPage(390, 844);
    await phone.goto(`${other.url}/`);
    await phone.waitForSelector('body[data-live="ready"]');
    mkdirSync(outputDir, { recursive: true });
    await phone.screenshot({ path: path.join(outputDir, 'feed-phone.png'), fullPage: true });
    expect(errors).toEqual([]);
  });

  it("an event page's going count moves when another user joins", async () => {
    const organizer = await createUser(ctx.db);
    const guest = await createUser(ctx.db);
    const api = createClient({ url: server.url, token: organizer.token });
    const startsAt = new Date(Date.now() + 3 * 86_400_000);
    const event = await api.events.create({
      title: 'Board games night',
      description: 'Bring your favourite game.',
      startsAt: startsAt.toISOString(),
      endsAt: new Date(startsAt.getTime() + 3 * 3_600_000).toISOString(),
      capacity: 10,
    });

    const watcher = await newPage();
    await watcher.goto(`${other.url}/events/${event.id}`);
    await watcher.waitForSelector('body[data-live="ready"]');
    expect(await watcher.textContent('.going-count')).toBe('0');

    await createClient({ url: server.url, token: guest.token }).events.join(event.id);
    await expect.poll(() => watcher.textContent('.going-count')).toBe('1');
    expect(errors).toEqual([]);
  });

  it('the event listing places a new or moved event in start order, live', async () => {
    const organizer = await createUser(ctx.db);
    const api = createClient({ url: server.url, token: organizer.token });
    const at = (days: number) => new Date(Date.now() + days * 86_400_000);
    const create = (title: string, days: number) =>
      api.events.create({
        title,
        description: 'Ordering',
        startsAt: at(days).toISOString(),
        endsAt: at(days + 0.1).toISOString(),
      });
    await create('Listing early', 10);
    await create('Listing late', 30);

    const watcher = await newPage();
    await watcher.goto(`${other.url}/events`);
    await watcher.waitForSelector('body[data-live="ready"]');
    const titles = async () =>
      (await watcher.locator('#events article h2').allTextContents()).filter((t) => t.startsWith('Listing'));
    expect(await titles()).toEqual(['Listing early', 'Listing late']);

    const middle = await create('Listing middle', 20);
    await expect.poll(titles).toEqual(['Listing early', 'Listing middle', 'Listing late']);
    await api.events.update(middle.id, { startsAt: at(40).toISOString(), endsAt: at(40.1).toISOString() });
    await expect.poll(titles).toEqual(['Listing early', 'Listing late', 'Listing middle']);
    expect(errors).toEqual([]);
  });

  it("a profile page shows the user's new posts live, and only theirs", async () => {
    const [author, someoneElse] = [await createUser(ctx.db), await createUser(ctx.db)];
    const watcher = await newPage();
    await watcher.goto(`${other.url}/u/${author.username}`);
    await watcher.waitForSelector('body[data-live="ready"]');

    await createClient({ url: server.url, token: someoneElse.token }).posts.create('not on this profile');
    const mine = await createClient({ url: server.url, token: author.token }).posts.create('on my profile');
    await watcher.waitForSelector(`#post-${mine.id}`);
    expect(await watcher.locator('#posts article').allTextContents()).not.toContainEqual(
      expect.stringContaining('not on this profile'),
    );
    expect(errors).toEqual([]);
  });
});
