// The pages of reports and moderation in Chromium: reporting a post and a comment and muting/blocking from a
// profile through plain forms (no script), /moderation refused to members, a moderator resolving through the
// form without the script, and the queue kept live by the bundle. Screenshots at desktop and phone sizes go
// to test-output/moderation for a person to look at.
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { createClient } from '@plaza/client';
import { sql } from 'kysely';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../helpers/browser.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { createUser, type TestUser } from '../helpers/factories.ts';
import { type PlazaProcess, startServer, stopAll } from '../helpers/processes.ts';

const SHOTS = path.resolve(import.meta.dirname, '../../test-output/moderation');

let ctx: TestContext;
let server: PlazaProcess;
let browser: Browser;

async function open(
  user: TestUser | null,
  at: string,
  { script = true, width = 1280, height = 800 } = {},
): Promise<Page> {
  const context = await browser.newContext({ javaScriptEnabled: script, viewport: { width, height } });
  if (user) {
    await context.addCookies([
      { name: 'plaza_session', value: user.token, url: server.url, httpOnly: true, sameSite: 'Lax' },
    ]);
  }
  const page = await context.newPage();
  await page.goto(`${server.url}${at}`);
  return page;
}

async function shoot(user: TestUser, at: string, name: string, prepare?: (page: Page) => Promise<void>) {
  for (const [label, width, height] of [
    ['desktop', 1280, 800],
    ['phone', 390, 844],
  ] as const) {
    const page = await open(user, at, { width, height });
    await prepare?.(page);
    await page.screenshot({ path: path.join(SHOTS, `${name}-${label}.png`), fullPage: true });
    // Nothing wider than the viewport.
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow, `${name} at ${width}px overflows`).toBeLessThanOrEqual(0);
    await page.context().close();
  }
}

const flashOf = (page: Page) => page.locator('.flash').textContent();

beforeAll(async () => {
  await mkdir(SHOTS, { recursive: true });
  ctx = await createTestContext();
  [server, browser] = await Promise.all([startServer(ctx.env, 'moderation-pages'), launchChromium()]);
});

afterAll(async () => {
  await browser?.close();
  await stopAll([server]);
  await ctx?.close();
});

const openReports = async (targetId: string) =>
  (
    await sql<{
      id: string;
      category: string;
      comment: string;
    }>`select id, category, comment from reports where target_id = ${targetId} and status = 'open'`.execute(
      ctx.db,
    )
  ).rows;

describe('reporting from the pages, without the script', () => {
  it('reports a post and a comment, and mutes and blocks from a profile', async () => {
    const author = await createUser(ctx.db, { displayName: 'Sam Spammer' });
    const me = await createUser(ctx.db);
    const client = createClient({ url: server.url, token: author.token });
    const post = await client.posts.create('Cheap watches, click here');
    const comment = await client.posts.comment(post.id, 'And here too');

    const page = await open(me, `/posts/${post.id}`, { script: false });
    await page.click('.manage details.report > summary');
    await page.selectOption('.manage .report-form select[name=category]', 'spam');
    await page.fill('.manage .report-form textarea[name=comment]', 'Obvious spam');
    await page.click('.manage .report-form button[type=submit]');
    await page.waitForURL(`${server.url}/posts/${post.id}`);
    expect(await flashOf(page)).toContain('moderators will review');
    expect(await openReports(post.id)).toMatchObject([{ category: 'spam', comment: 'Obvious spam' }]);

    await page.click(`#comment-${comment.id} details.report > summary`);
    await page.selectOption(`#comment-${comment.id} select[name=category]`, 'harassment');
    await page.click(`#comment-${comment.id} .report-form button[type=submit]`);
    await page.waitForLoadState();
    expect(await flashOf(page)).toContain('moderators will review');
    expect(await openReports(comment.id)).toMatchObject([{ category: 'harassment', comment: '' }]);
    // Nobody is offered to report themselves.
    const own = await open(author, `/posts/${post.id}`, { script: false });
    expect(await own.locator('.manage details.report').count()).toBe(0);
    expect(await own.locator(`#comment-${comment.id} details.report`).count()).toBe(0);
    await own.context().close();

    await page.goto(`${server.url}/u/${author.username}`);
    await page.click('#mute-form button');
    await page.waitForLoadState();
    expect(await flashOf(page)).toContain('Muted');
    expect(await page.textContent('#mute-form button')).toContain('Unmute');
    await page.click('#block > summary');
    await page.click('#block-form button');
    await page.waitForLoadState();
    expect(await flashOf(page)).toContain('Blocked');
    expect(await page.textContent('#block-form button')).toContain('Unblock');
    await page.click('#block-form button');
    await page.waitForLoadState();
    expect(await page.locator('#block > summary').count()).toBe(1);
    await page.context().close();
  });

  it('reports an event from its page', async () => {
    const organizer = await createUser(ctx.db);
    const me = await createUser(ctx.db);
    const startsAt = new Date(Date.now() + 86_400_000);
    const event = await createClient({ url: server.url, token: organizer.token }).events.create({
      title: 'Pyramid scheme night',
      description: 'Bring friends and money',
      startsAt: startsAt.toISOString(),
      endsAt: new Date(startsAt.getTime() + 3_600_000).toISOString(),
    });
    const page = await open(me, `/events/${event.id}`, { script: false });
    await page.click('details.report > summary');
    await page.selectOption('.report-form select[name=category]', 'illegal');
    await page.click('.report-form button[type=submit]');
    await page.waitForURL(`${server.url}/events/${event.id}`);
    expect(await flashOf(page)).toContain('moderators will review');
    expect(await openReports(event.id)).toMatchObject([{ category: 'illegal' }]);
    await page.context().close();
    const own = await open(organizer, `/events/${event.id}`, { script: false });
    expect(await own.locator('details.report').count()).toBe(0);
    await own.context().close();
  });
});

describe('/moderation', () => {
  it('is a 404 page for members and sends anonymous readers to sign in', async () => {
    const member = await createUser(ctx.db);
    const res = await fetch(`${server.url}/moderation`, {
      headers: { accept: 'text/html', cookie: `plaza_session=${member.token}` },
      redirect: 'manual',
    });
    expect(res.status).toBe(404);
    const anonymous = await fetch(`${server.url}/moderation`, {
      headers: { accept: 'text/html' },
      redirect: 'manual',
    });
    expect(anonymous.status).toBe(302);
    expect(anonymous.headers.get('location')).toContain('/login');
  });

  it('resolves through the form without the script; the queue is live with it', async () => {
    const moderator = await createUser(ctx.db, { role: 'moderator' });
    const author = await createUser(ctx.db);
    const reporter = await createUser(ctx.db);
    const post = await createClient({ url: server.url, token: author.token }).posts.create('A rude post');
    const reporterClient = createClient({ url: server.url, token: reporter.token });
    const first = await reporterClient.reports.create({
      target: { type: 'post', id: post.id },
      category: 'harassment',
      comment: 'Rude',
    });

    const plain = await open(moderator, '/moderation', { script: false });
    const card = plain.locator(`#report-${first.id}`);
    expect(await card.locator('.snapshot .body').textContent()).toBe('A rude post');
    await card.locator('input[value=dismiss]').check();
    await card.locator('textarea[name=note]').fill('Rude but allowed');
    await card.locator('button[type=submit]').click();
    await plain.waitForURL(`${server.url}/moderation`);
    expect(await flashOf(plain)).toContain('dismissed');
    expect(await plain.locator(`#report-${first.id}`).count()).toBe(0);
    await plain.context().close();

    const live = await open(moderator, '/moderation');
    await live.waitForSelector('#live-status[data-state="connected"], #live-status[data-state="resumed"]');
    const target = await createUser(ctx.db, { displayName: 'Troll' });
    const second = await reporterClient.reports.create({
      target: { type: 'user', id: target.id },
      category: 'spam',
    });
    const arrived = live.locator(`#report-${second.id}`);
    await arrived.waitFor({ timeout: 15_000 });
    // A user cannot be "removed": that choice is not offered for a profile.
    expect(await arrived.locator('input[value=remove_content]').count()).toBe(0);
    await arrived.locator('input[value=suspend_user]').check();
    await arrived.locator('textarea[name=note]').fill('Spam account');
    await arrived.locator('button[type=submit]').click();
    await arrived.waitFor({ state: 'detached', timeout: 15_000 });
    const { rows } = await sql<{
      suspended_at: Date | null;
    }>`select suspended_at from users where id = ${target.id}`.execute(ctx.db);
    expect(rows[0]!.suspended_at).not.toBeNull();
    await live.context().close();
  });

  it('looks right at desktop and phone sizes', async () => {
    const admin = await createUser(ctx.db, { role: 'admin', displayName: 'Ada Admin' });
    const author = await createUser(ctx.db, { displayName: 'Pat Poster' });
    const reporter = await createUser(ctx.db);
    const client = createClient({ url: server.url, token: author.token });
    const post = await client.posts.create(
      'This post was reported for a screenshot. It has a longer body so that the snapshot wraps over a few lines on a phone screen.',
    );
    const reporterClient = createClient({ url: server.url, token: reporter.token });
    await reporterClient.reports.create({
      target: { type: 'post', id: post.id },
      category: 'spam',
      comment: 'Looks like advertising',
    });
    await reporterClient.reports.create({ target: { type: 'user', id: author.id }, category: 'other' });
    const adminClient = createClient({ url: server.url, token: admin.token });
    await adminClient.admin.suspend(reporter.username);
    await adminClient.admin.unsuspend(reporter.username);

    await shoot(admin, '/moderation', 'reports');
    await shoot(admin, '/moderation?tab=users', 'users');
    await shoot(admin, '/moderation?tab=audit', 'audit');
    const viewer = await createUser(ctx.db);
    await shoot(viewer, `/u/${author.username}`, 'profile', async (page) => {
      await page.click('.safety-actions details.report > summary');
    });
    await shoot(viewer, `/posts/${post.id}`, 'post', async (page) => {
      await page.click('.manage details.report > summary');
    });
  });
});
