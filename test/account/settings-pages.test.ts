// /settings' account sections in Chromium: profile, password, email and the security log work by their
// forms without JavaScript; with it, an over-long bio is refused before sending. Screenshots at desktop and
// phone widths go to test-output/screenshots/.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codeIn } from '../auth/auth-harness.ts';
import { launchChromium } from '../helpers/browser.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { createUser, TEST_PASSWORD, type TestUser } from '../helpers/factories.ts';
import { type PlazaProcess, startServer, startWorkers, stopAll } from '../helpers/processes.ts';
import { type SmtpSink, startSmtpSink } from '../helpers/smtp-sink.ts';

let ctx: TestContext;
let sink: SmtpSink;
let server: PlazaProcess;
let workers: PlazaProcess;
let browser: Browser;

beforeAll(async () => {
  ctx = await createTestContext();
  sink = await startSmtpSink();
  [server, workers, browser] = await Promise.all([
    startServer(ctx.env, 'web'),
    startWorkers({ ...ctx.env, SMTP_URL: sink.url }, ['email']),
    launchChromium(),
  ]);
});

afterAll(async () => {
  await browser?.close();
  await stopAll([server, workers]);
  await sink?.close();
  await ctx?.close();
});

async function settingsAs(user: TestUser, javaScriptEnabled: boolean): Promise<Page> {
  const context = await browser.newContext({ javaScriptEnabled, viewport: { width: 1280, height: 800 } });
  await context.addCookies([{ name: 'plaza_session', value: user.token, url: server.url }]);
  const page = await context.newPage();
  await page.goto(`${server.url}/settings`);
  return page;
}

const submit = (page: Page, form: string) =>
  Promise.all([page.waitForNavigation(), page.click(`${form} button[type=submit]`)]);
const flash = (page: Page) => page.locator('.flash').first().textContent();

describe('/settings account sections without JavaScript', () => {
  it('saves the profile, refuses a wrong password, changes the email, and lists it all in the log', async () => {
    const user = await createUser(ctx.db, { displayName: 'Ada' });
    const page = await settingsAs(user, false);
    await page.fill('#profile-form input[name=displayName]', 'Ada Lovelace');
    await page.fill('#profile-form textarea[name=bio]', 'Analyst of engines.\nWrites notes.');
    await submit(page, '#profile-form');
    expect(await flash(page)).toContain('Your profile is saved');
    expect(await page.inputValue('#profile-form textarea[name=bio]')).toBe(
      'Analyst of engines.\nWrites notes.',
    );

    await page.fill('#profile-form textarea[name=bio]', 'x'.repeat(501));
    await submit(page, '#profile-form');
    expect(await flash(page)).toContain('Bio: at most 500 characters');

    await page.fill('#password-form input[name=currentPassword]', 'not it at all');
    await page.fill('#password-form input[name=newPassword]', 'a fresh long password');
    await submit(page, '#password-form');
    expect(await flash(page)).toContain('The current password is wrong');
    await page.fill('#password-form input[name=currentPassword]', TEST_PASSWORD);
    await page.fill('#password-form input[name=newPassword]', 'a fresh long password');
    await submit(page, '#password-form');
    expect(await flash(page)).toContain('every other device is signed out');

    const newEmail = `moved_${user.username}@example.test`;
    await page.fill('#email-form input[name=newEmail]', newEmail);
    await page.fill('#email-form input[name=password]', 'a fresh long password');
    await submit(page, '#email-form');
    expect(await flash(page)).toContain('Check the new address');
    const code = codeIn(await sink.waitForMessage(newEmail, (m) => /email change code/.test(m.subject)));
    await page.fill('#email-verify-form input[name=code]', code);
    await submit(page, '#email-verify-form');
    expect(await flash(page)).toContain(`Your email address is now ${newEmail}`);
    expect(await page.locator('.current-email').textContent()).toBe(newEmail);

    const log = await page.locator('#security-log li strong').allTextContents();
    expect(log.slice(0, 2)).toEqual(['Email address changed', 'Password changed']);
    await page.screenshot({ path: 'test-output/screenshots/settings-account-desktop.png', fullPage: true });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.screenshot({ path: 'test-output/screenshots/settings-account-phone.png', fullPage: true });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await page.context().close();
  });
});

describe('/settings with JavaScript', () => {
  it('counts the bio live and refuses an over-long one before sending', async () => {
    const user = await createUser(ctx.db);
    const page = await settingsAs(user, true);
    const sent: string[] = [];
    page.on('request', (r) => {
      if (r.method() === 'POST') sent.push(r.url());
    });
    await page.fill('#profile-form textarea[name=bio]', 'y'.repeat(510));
    expect(await page.locator('#profile-form .counter').nth(1).textContent()).toContain(
      '10 characters too many',
    );
    await page.click('#profile-form button[type=submit]');
    await page.locator('#profile-form .error').filter({ hasText: 'Bio: at most 500' }).waitFor();
    expect(sent).toEqual([]);
    await page.fill('#profile-form textarea[name=bio]', 'Short and sweet.');
    await submit(page, '#profile-form');
    expect(await flash(page)).toContain('Your profile is saved');
    await page.context().close();
  });
});
