// /settings "Export your data" and "Delete account" in Chromium with JavaScript DISABLED: the forms post,
// the once-a-day rule shows before it is hit, a refused deletion says why and where to fix it, a deletion
// ends signed out on a page saying so, and a suspended account sees only these two sections.
import { mkdirSync } from 'node:fs';
import { createClient } from '@plaza/client';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../helpers/browser.ts';
import { captcha } from '../helpers/captcha.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { bearer, createUser, TEST_PASSWORD, type TestUser } from '../helpers/factories.ts';
import { type PlazaProcess, startServer, startWorkers, stopAll } from '../helpers/processes.ts';
import { waitFor } from '../helpers/wait.ts';

const SHOTS = 'test-output/screenshots';
let ctx: TestContext;
let server: PlazaProcess;
let workers: PlazaProcess;
let browser: Browser;

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  ctx = await createTestContext();
  [server, workers, browser] = await Promise.all([
    startServer(ctx.env, 'web'),
    startWorkers(ctx.env, ['account', 'transfers']),
    launchChromium(),
  ]);
});

afterAll(async () => {
  await browser?.close();
  await stopAll([server, workers]);
  await ctx?.close();
});

async function noScript(user: TestUser): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({
    javaScriptEnabled: false,
    viewport: { width: 1280, height: 800 },
  });
  await context.addCookies([{ name: 'plaza_session', value: user.token, url: server.url }]);
  return { context, page: await context.newPage() };
}

async function shoot(page: Page, name: string): Promise<void> {
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.screenshot({ path: `${SHOTS}/${name}-desktop.png`, fullPage: true });
  await page.setViewportSize({ width: 390, height: 844 });
  await page.screenshot({ path: `${SHOTS}/${name}-phone.png`, fullPage: true });
  // What the reader sees where the form's redirect scrolled to (the section's own flash).
  await page.screenshot({ path: `${SHOTS}/${name}-phone-view.png` });
  await page.setViewportSize({ width: 1280, height: 800 });
}

const submit = (page: Page, selector: string) =>
  Promise.all([page.waitForNavigation(), page.click(selector)]);

describe('/settings export and deletion without JavaScript', () => {
  it('asks for an export, lists it with a download link, and shows the once-a-day rule before it is hit', async () => {
    const user = await createUser(ctx.db);
    const { context, page } = await noScript(user);
    await page.goto(`${server.url}/settings#export`);
    expect(await page.locator('#no-exports').textContent()).toContain('No exports');
    expect(await page.locator('#export').textContent()).toContain('One export a day');
    await submit(page, '#export-form button[type=submit]');
    expect(new URL(page.url()).pathname).toBe('/settings');
    // Said in the section the redirect scrolls to, not at the top of a long page.
    expect(await page.locator('#export .flash.ok').textContent()).toContain('being built');
    // The button is off until the day is over, and the page says when.
    expect(await page.locator('#export-form button[type=submit]').isDisabled()).toBe(true);
    expect(await page.locator('#export-next').textContent()).toContain('ask again');

    await waitFor(
      async () => {
        await page.reload();
        return (await page.locator('#export-list [data-status=ready]').count()) === 1;
      },
      { what: 'the export to show as ready', timeoutMs: 30_000 },
    );
    const link = page.locator('#export-list a.download');
    const href = await link.getAttribute('href');
    expect(href).toMatch(/\/api\/v1\/me\/exports\/[0-9a-f-]+\/download$/);
    const download = await fetch(new URL(href!, server.url), {
      redirect: 'manual',
      headers: { cookie: `plaza_session=${user.token}` },
    });
    expect(download.status).toBe(302);
    await shoot(page, 'settings-export');
    await context.close();
  });

  it('refuses a deletion with the reason in words and a link to fix it, then a wrong password; the account stays', async () => {
    const admin = await createUser(ctx.db, { role: 'admin' });
    const user = await createUser(ctx.db);
    const minted = await createClient({ url: server.url, token: admin.token }).admin.mint({
      username: user.username,
      amountCents: 500,
    });
    await waitFor(
      async () =>
        (await ctx.db.selectFrom('transfers').select('status').where('id', '=', minted.id).executeTakeFirst())
          ?.status === 'completed',
      { what: 'the mint to settle' },
    );
    const { context, page } = await noScript(user);
    await page.goto(`${server.url}/settings#delete-account`);
    const warning = await page.locator('#delete-account').textContent();
    expect(warning).toContain('cannot be undone');
    expect(warning).toContain('deleted-123');
    expect(warning).toContain('holds money');
    await page.fill('#delete-form input[name=password]', TEST_PASSWORD);
    await submit(page, '#delete-form button[type=submit]');
    const refusal = page.locator('#delete-account .flash.error[role=alert]');
    expect(await refusal.textContent()).toContain('not deleted');
    expect(await refusal.textContent()).toContain('wallet still holds money');
    expect(await refusal.locator('a').getAttribute('href')).toBe('/wallet');
    // The password never went into a URL.
    expect(page.url()).not.toContain(TEST_PASSWORD);
    await shoot(page, 'settings-delete-refused');

    await page.fill('#delete-form input[name=password]', 'not the password');
    await submit(page, '#delete-form button[type=submit]');
    expect(await page.locator('#delete-account .flash.error').textContent()).toContain('password is wrong');
    const row = await ctx.db
      .selectFrom('users')
      .select('deleted_at')
      .where('id', '=', user.id)
      .executeTakeFirstOrThrow();
    expect(row.deleted_at).toBeNull();
    await context.close();
  });

  it('deletes the account and ends signed out on a page saying it is being deleted', async () => {
    const user = await createUser(ctx.db);
    const { context, page } = await noScript(user);
    await page.goto(`${server.url}/settings#delete-account`);
    await page.fill('#delete-form input[name=password]', TEST_PASSWORD);
    await submit(page, '#delete-form button[type=submit]');
    expect(new URL(page.url()).pathname).toBe('/account-deleted');
    expect(await page.locator('h1').textContent()).toContain('being deleted');
    expect(await page.locator('#logout').count()).toBe(0);
    expect((await context.cookies()).some((c) => c.name === 'plaza_session')).toBe(false);
    await shoot(page, 'account-deleted');
    await context.close();
  });

  it('a suspended account sees only the export and deletion sections, and a page saying so elsewhere', async () => {
    const moderator = await createUser(ctx.db, { role: 'moderator' });
    const user = await createUser(ctx.db);
    const suspended = await fetch(`${server.url}/api/v1/admin/users/${user.username}/suspend`, {
      method: 'POST',
      headers: bearer(moderator),
    });
    expect(suspended.status).toBe(204);
    // Signed in again after the suspension (it ended every session): as the sign-in form would.
    const signedIn = await fetch(`${server.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        login: user.username,
        password: TEST_PASSWORD,
        captcha: await captcha((path) => fetch(`${server.url}${path}`)),
      }),
    });
    expect(signedIn.status).toBe(200);
    const { token } = (await signedIn.json()) as { token: string };
    const { context, page } = await noScript({ ...user, token });

    await page.goto(`${server.url}/settings`);
    expect(await page.locator('#suspended-notice').textContent()).toContain('suspended');
    expect(await page.locator('#export').count()).toBe(1);
    expect(await page.locator('#delete-account').count()).toBe(1);
    expect(await page.locator('#sessions, #password, #profile').count()).toBe(0);
    await shoot(page, 'settings-suspended');
    await submit(page, '#export-form button[type=submit]');
    expect(await page.locator('#export .flash.ok').textContent()).toContain('being built');

    const feed = await page.goto(`${server.url}/`);
    expect(feed?.status()).toBe(403);
    expect(await page.locator('h1').textContent()).toContain('suspended');
    expect(await page.locator('a[href="/settings#delete-account"]').count()).toBe(1);
    await shoot(page, 'suspended-refused');

    // With the script, the page opens no live connection (a suspended account's is refused) and throws nothing.
    const live = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    await live.addCookies([{ name: 'plaza_session', value: token, url: server.url }]);
    const scripted = await live.newPage();
    const problems: string[] = [];
    scripted.on('pageerror', (error) => problems.push(error.message));
    scripted.on('request', (r) => {
      if (r.url().includes('/socket.io/')) problems.push(`socket: ${r.url()}`);
    });
    await scripted.goto(`${server.url}/settings`);
    await scripted.waitForLoadState('networkidle');
    expect(await scripted.locator('#export-form').count()).toBe(1);
    expect(problems).toEqual([]);
    await live.close();

    await submit(page, '#logout');
    expect((await context.cookies()).some((c) => c.name === 'plaza_session')).toBe(false);
    await context.close();
  });
});
