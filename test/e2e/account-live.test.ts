// Account pages and the layout with the script, on two instances: what a person sees when the code step,
// a refusal (429, unverified email) or a sign-out elsewhere happens; /settings live; screenshots.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { captchaSolved, launchChromium } from '../helpers/browser.ts';
import { captcha } from '../helpers/captcha.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { createUser, TEST_PASSWORD, type TestUser } from '../helpers/factories.ts';
import { type PlazaProcess, startServer, stopAll } from '../helpers/processes.ts';

const shots = path.resolve('test-output', 'screenshots');

let ctx: TestContext;
let server: PlazaProcess;
let other: PlazaProcess;
let browser: Browser;
const errors: string[] = [];

beforeAll(async () => {
  mkdirSync(shots, { recursive: true });
  ctx = await createTestContext();
  [server, other, browser] = await Promise.all([
    startServer(ctx.env, 'account-a'),
    startServer(ctx.env, 'account-b'),
    launchChromium(),
  ]);
});

afterAll(async () => {
  await browser?.close();
  await stopAll([server, other]);
  await ctx?.close();
});

async function open(
  user: TestUser | null,
  viewport = { width: 1280, height: 900 },
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport });
  // Cookies ignore the port: both instances see this session.
  if (user) await context.addCookies([{ name: 'plaza_session', value: user.token, url: server.url }]);
  const page = await context.newPage();
  page.on('pageerror', (error) => errors.push(error.message));
  return { context, page };
}

/** A solved CAPTCHA and a login by the API from this machine (the same network as the browser). */
async function apiLogin(
  login: string,
  password: string,
  userAgent = 'Mozilla/5.0 (Linux; Android 14) Chrome/126.0',
) {
  return fetch(`${server.url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: server.url, 'user-agent': userAgent },
    body: JSON.stringify({ login, password, captcha: await captcha((p) => fetch(`${server.url}${p}`)) }),
  });
}

describe('account pages and layout in Chromium', () => {
  it('the login code field stays hidden until a code was sent', async () => {
    const user = await createUser(ctx.db);
    const { context, page } = await open(null);
    await page.goto(`${server.url}/login`);
    expect(await page.locator('#code-form .code-step').isVisible()).toBe(false);
    expect(await page.locator('#code-form input[name=code]').isVisible()).toBe(false);
    await page.fill('#code-form input[name=email]', user.email);
    await captchaSolved(page, '#code-form');
    await page.click('#code-form button[type=submit]');
    await page.locator('#code-form input[name=code]').waitFor({ state: 'visible' });
    expect(await page.locator('#code-form .notice').textContent()).toContain('a code is on its way');
    await context.close();
  });

  it('an unverified email gets a link to /verify with the address filled in', async () => {
    const user = await createUser(ctx.db, { verified: false });
    const { context, page } = await open(null);
    await page.goto(`${server.url}/login`);
    await page.fill('#login-form input[name=login]', user.username);
    await page.fill('#login-form input[name=password]', TEST_PASSWORD);
    await captchaSolved(page, '#login-form');
    await page.click('#login-form button[type=submit]');
    const link = page.locator('#login-form .error a');
    await link.waitFor();
    expect(await link.getAttribute('href')).toBe(`/verify?email=${encodeURIComponent(user.email)}`);
    await link.click();
    await page.waitForURL(/\/verify\?email=/);
    expect(await page.inputValue('#verify-form input[name=email]')).toBe(user.email);
    await context.close();
  });

  it('a 429 says how long to wait', async () => {
    const user = await createUser(ctx.db);
    // Ten wrong passwords lock the account out of password login from this network.
    for (let i = 0; i < 10; i++) expect((await apiLogin(user.username, 'wrong password!')).status).toBe(401);
    const { context, page } = await open(null);
    await page.goto(`${server.url}/login`);
    await page.fill('#login-form input[name=login]', user.username);
    await page.fill('#login-form input[name=password]', TEST_PASSWORD);
    await captchaSolved(page, '#login-form');
    await page.click('#login-form button[type=submit]');
    const error = page.locator('#login-form .error');
    await error.filter({ hasText: /\S/ }).waitFor({ timeout: 0 });
    expect(await error.textContent()).toMatch(/Try again in \d+ (second|minute|hour)s?/);
    await context.close();
  });

  it('signed out in another tab (on the other instance): the page says so and offers to sign in again', async () => {
    const user = await createUser(ctx.db);
    const { context, page } = await open(user);
    await page.goto(`${server.url}/`);
    await page.waitForSelector('body[data-live="ready"]');
    expect(await page.locator('#signed-out').count()).toBe(0);
    const tab = await context.newPage();
    await tab.goto(`${other.url}/`);
    await tab.click('#logout');
    await tab.waitForSelector('.account a[href="/login"]');
    const banner = page.locator('#signed-out');
    await banner.waitFor();
    expect(await banner.textContent()).toContain('You are signed out');
    expect(await banner.locator('a').getAttribute('href')).toBe('/login?next=%2F');
    expect(await page.locator('#logout').isVisible()).toBe(false);
    await context.close();
  });

  it('/settings revokes a session live, and the pages look right on desktop and phone', async () => {
    const user = await createUser(ctx.db);
    expect((await apiLogin(user.username, TEST_PASSWORD)).status).toBe(200);
    const { context, page } = await open(user);
    await page.goto(`${server.url}/settings`);
    await page.waitForSelector('body[data-live="ready"]');
    expect(await page.locator('.session').count()).toBe(2);
    await page.screenshot({ path: path.join(shots, 'settings-desktop.png'), fullPage: true });
    await page.locator('.session', { hasText: 'Chrome on Android' }).locator('button').click();
    await page.locator('.session', { hasText: 'Chrome on Android' }).waitFor({ state: 'detached' });
    expect(await page.locator('.session').count()).toBe(1);
    await page.reload();
    expect(await page.locator('.session').count()).toBe(1);
    await context.close();

    for (const [name, viewport] of [
      ['desktop', { width: 1280, height: 900 }],
      ['phone', { width: 390, height: 844 }],
    ] as const) {
      for (const [page, at, viewer] of [
        ['login', '/login', null],
        ['register', '/register', null],
        ['settings', '/settings', user],
        ['not-found', '/nope', user],
      ] as const) {
        if (page === 'settings' && name === 'desktop') continue;
        const view = await open(viewer, viewport);
        await view.page.goto(`${server.url}${at}`);
        if (page === 'settings') await view.page.waitForSelector('body[data-live="ready"]');
        await view.page.screenshot({ path: path.join(shots, `${page}-${name}.png`), fullPage: true });
        // A dead link keeps the signed-in top bar.
        if (page === 'not-found')
          expect(await view.page.textContent('.account')).toContain(`@${user.username}`);
        if (name === 'phone') {
          // Nothing wider than the phone, and every control of the top bar big enough for a thumb.
          expect(await view.page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(
            390,
          );
          const small = await view.page.$$eval('.topbar a, .topbar button, main button, main input', (els) =>
            els
              .filter(
                (el) =>
                  (el as HTMLElement).offsetParent !== null &&
                  !['hidden', 'checkbox'].includes((el as HTMLInputElement).type),
              )
              .map((el) => ({ el: el.outerHTML.slice(0, 60), h: el.getBoundingClientRect().height }))
              .filter((x) => x.h < 44),
          );
          expect(small, `${page}`).toEqual([]);
        }
        await view.context.close();
      }
    }
    expect(errors).toEqual([]);
  });
});
