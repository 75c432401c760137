import { createClient } from '@plaza/client';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../helpers/browser.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { createUser, type TestUser } from '../helpers/factories.ts';
import { type PlazaProcess, startServer, startWorkers, stopAll } from '../helpers/processes.ts';

let ctx: TestContext;
let a: PlazaProcess;
let b: PlazaProcess;
let workers: PlazaProcess;
let browser: Browser;
const errors: string[] = [];

/** A page signed in as `user` through the session cookie, as after a login. */
async function signedIn(user: TestUser, server: PlazaProcess, path: string): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1000, height: 900 } });
  await context.addCookies([
    { name: 'plaza_session', value: user.token, url: server.url, httpOnly: true, sameSite: 'Lax' },
  ]);
  const page = await context.newPage();
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto(`${server.url}${path}`);
  await page.waitForSelector('body[data-live="ready"]');
  return page;
}

beforeAll(async () => {
  ctx = await createTestContext();
  [a, b, workers, browser] = await Promise.all([
    startServer(ctx.env, 'wallet-a'),
    startServer(ctx.env, 'wallet-b'),
    startWorkers(ctx.env, ['transfers']),
    launchChromium(),
  ]);
});

afterAll(async () => {
  await browser?.close();
  await stopAll([a, b, workers]);
  await ctx?.close();
});

describe('wallet page in Chromium', () => {
  it('a person sends money to another and both see it arrive live, on different instances', async () => {
    const admin = await createUser(ctx.db, { role: 'admin' });
    const sender = await createUser(ctx.db);
    const recipient = await createUser(ctx.db);
    await createClient({ url: a.url, token: admin.token }).admin.mint({
      username: sender.username,
      amountCents: 5_000,
    });

    const senderPage = await signedIn(sender, a, '/wallet');
    const recipientPage = await signedIn(recipient, b, '/wallet');
    await expect
      .poll(() => senderPage.getAttribute('#balance', 'data-cents'), { timeout: 15_000 })
      .toBe('5000');
    expect(await recipientPage.getAttribute('#balance', 'data-cents')).toBe('0');

    await senderPage.fill('input[name=to]', recipient.username);
    await senderPage.fill('input[name=amount]', '12.50');
    await senderPage.fill('input[name=memo]', 'for the pizza');
    await senderPage.click('#transfer-form button[type=submit]');

    await expect
      .poll(() => recipientPage.getAttribute('#balance', 'data-cents'), { timeout: 15_000 })
      .toBe('1250');
    await expect
      .poll(() => senderPage.getAttribute('#balance', 'data-cents'), { timeout: 15_000 })
      .toBe('3750');
    const row = recipientPage.locator('.transfer', { hasText: 'for the pizza' });
    await expect
      .poll(() => row.locator('.transfer-status').textContent(), { timeout: 15_000 })
      .toBe('completed');
    expect(await recipientPage.textContent('#unread-badge')).toBe('1');
    expect(errors).toEqual([]);
  });
});
