// Wallet and notification pages in Chromium: failed transfers are never shown as money received, mints are
// Plaza's, following a notification marks it read, and the forms work with JavaScript disabled.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { createClient } from '@plaza/client';
import type { Browser, BrowserContextOptions, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../helpers/browser.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { createUser, type TestUser } from '../helpers/factories.ts';
import { type PlazaProcess, startServer, startWorkers, stopAll } from '../helpers/processes.ts';

const shots = path.resolve('test-output/screenshots');

let ctx: TestContext;
let a: PlazaProcess;
let b: PlazaProcess;
let workers: PlazaProcess;
let browser: Browser;
const errors: string[] = [];

async function pageAs(
  user: TestUser,
  server: PlazaProcess,
  options: BrowserContextOptions = {},
): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, ...options });
  await context.addCookies([
    { name: 'plaza_session', value: user.token, url: server.url, httpOnly: true, sameSite: 'Lax' },
  ]);
  const page = await context.newPage();
  page.on('pageerror', (error) => errors.push(error.message));
  return page;
}

/** A form post and the page it redirects to (Post/Redirect/Get). */
async function submit(page: Page, button: string): Promise<void> {
  await Promise.all([page.waitForNavigation(), page.click(button)]);
}

const api = (user: TestUser) => createClient({ url: a.url, token: user.token });

beforeAll(async () => {
  ctx = await createTestContext();
  [a, b, workers, browser] = await Promise.all([
    startServer(ctx.env, 'wallet-pages-a'),
    startServer(ctx.env, 'wallet-pages-b'),
    startWorkers(ctx.env, ['transfers']),
    launchChromium(),
  ]);
  mkdirSync(shots, { recursive: true });
});

afterAll(async () => {
  await browser?.close();
  await stopAll([a, b, workers]);
  await ctx?.close();
});

describe('wallet and notification pages in Chromium', () => {
  it('a failed incoming transfer shows as failed, never received; a mint is "Minted by Plaza"', async () => {
    const [admin, broke, recipient] = [
      await createUser(ctx.db, { role: 'admin' }),
      await createUser(ctx.db),
      await createUser(ctx.db),
    ];
    const mint = await api(admin).admin.mint({ username: recipient.username, amountCents: 500 });
    const failed = await api(broke).wallet.send({ to: recipient.username, amountCents: 100_000 });
    await expect
      .poll(async () => (await api(broke).wallet.transfer(failed.id)).status, { timeout: 20_000 })
      .toBe('failed');
    await expect
      .poll(async () => (await api(recipient).wallet.transfer(mint.id)).status, { timeout: 20_000 })
      .toBe('completed');

    const page = await pageAs(recipient, b);
    await page.goto(`${b.url}/wallet`);
    await page.waitForSelector('body[data-live="ready"]');
    const row = page.locator(`#transfer-${failed.id}`);
    expect(await row.locator('.transfer-status').textContent()).toBe('failed');
    expect(await row.locator('.amount').textContent()).toBe('€1,000.00');
    expect(await row.textContent()).toContain('insufficient funds');
    expect(await row.textContent()).not.toContain('+');
    const minted = page.locator(`#transfer-${mint.id}`);
    expect(await minted.textContent()).toContain('Minted by Plaza');
    expect(await minted.locator('a').count()).toBe(0);
    expect(await minted.locator('.amount').textContent()).toBe('+€5.00');
    await page.screenshot({ path: path.join(shots, 'wallet-desktop.png'), fullPage: true });
    const phone = await pageAs(recipient, b, { viewport: { width: 390, height: 844 } });
    await phone.goto(`${b.url}/wallet`);
    await phone.screenshot({ path: path.join(shots, 'wallet-phone.png'), fullPage: true });
    expect(errors).toEqual([]);
  });

  it('following a notification marks it read', async () => {
    const [reader, follower] = [await createUser(ctx.db), await createUser(ctx.db)];
    await api(follower).users.follow(reader.username);
    const page = await pageAs(reader, b);
    await page.goto(`${b.url}/notifications`);
    await page.waitForSelector('body[data-live="ready"]');
    await page.screenshot({ path: path.join(shots, 'notifications-desktop.png'), fullPage: true });
    const phone = await pageAs(reader, b, { viewport: { width: 390, height: 844 } });
    await phone.goto(`${b.url}/notifications`);
    await phone.screenshot({ path: path.join(shots, 'notifications-phone.png'), fullPage: true });
    await page.click('.notification.unread .notification-title');
    await page.waitForURL(`${b.url}/u/${follower.username}`);
    const list = await api(reader).notifications.list();
    expect(list.unreadCount).toBe(0);
    expect(list.items[0]?.readAt).not.toBeNull();
    expect(errors).toEqual([]);
  });

  it('without JavaScript: open marks read, mark read, mark all read, and a resubmitted transfer is one', async () => {
    const [reader, x, y, z, admin] = [
      await createUser(ctx.db),
      await createUser(ctx.db),
      await createUser(ctx.db),
      await createUser(ctx.db),
      await createUser(ctx.db, { role: 'admin' }),
    ];
    for (const who of [x, y, z]) await api(who).users.follow(reader.username);
    const page = await pageAs(reader, a, { javaScriptEnabled: false });
    await page.goto(`${a.url}/notifications`);
    expect(await page.locator('.notification.unread').count()).toBe(3);

    await submit(page, '.notification.unread .notification-title >> nth=0');
    expect(page.url()).toMatch(/\/u\/user_/);
    expect((await api(reader).notifications.list()).unreadCount).toBe(2);
    await page.goto(`${a.url}/notifications`);
    await submit(page, '.notification.unread .notification-read button >> nth=0');
    expect(page.url()).toBe(`${a.url}/notifications`);
    expect((await api(reader).notifications.list()).unreadCount).toBe(1);
    await submit(page, '#read-all');
    expect(page.url()).toBe(`${a.url}/notifications`);
    expect((await api(reader).notifications.list()).unreadCount).toBe(0);
    expect(await page.locator('.notification.unread').count()).toBe(0);
    // The url travels in the form: only a path of ours is followed.
    const [first] = (await api(reader).notifications.list()).items;
    const away = await page.request.post(`${a.url}/notifications/${first!.id}/open`, {
      form: { url: '//evil.example/phish', back: '/notifications' },
      headers: { origin: a.url },
      maxRedirects: 0,
    });
    expect(away.status()).toBe(303);
    expect(away.headers().location).toBe('/');

    await api(admin).admin.mint({ username: reader.username, amountCents: 10_000 });
    await page.goto(`${a.url}/wallet`);
    const key = await page.inputValue('input[name=idempotencyKey]');
    expect(key).toMatch(/^[0-9a-f-]{36}$/);
    await page.fill('input[name=to]', x.username);
    await page.fill('input[name=amount]', '12.5');
    await page.fill('input[name=memo]', 'scriptless');
    await submit(page, '#transfer-form button[type=submit]');
    expect(page.url()).toBe(`${a.url}/wallet`);
    expect(await page.textContent('.flash')).toContain('Sent');
    // The same form posted again (a resubmission) is the same transfer.
    const again = await page.request.post(`${a.url}/wallet/transfer`, {
      form: { to: x.username, amount: '12.5', memo: 'scriptless', idempotencyKey: key, back: '/wallet' },
      headers: { origin: a.url },
      maxRedirects: 0,
    });
    expect(again.status()).toBe(303);
    const mine = await api(reader).wallet.transfers();
    expect(mine.items.filter((t) => t.memo === 'scriptless')).toHaveLength(1);
    expect(mine.items.find((t) => t.memo === 'scriptless')?.amountCents).toBe(1250);
  });
});
