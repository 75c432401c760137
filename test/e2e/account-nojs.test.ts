// Account pages with JavaScript DISABLED (a slow link or scripts off): no password ever lands in a URL,
// the CAPTCHA forms say the script is needed, and verify, log out, revoke a session and the 404 page work.
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSession } from '../../server/auth/sessions.ts';
import { launchChromium } from '../helpers/browser.ts';
import { captcha } from '../helpers/captcha.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { createUser, TEST_PASSWORD } from '../helpers/factories.ts';
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

async function noScript(token?: string): Promise<{ context: BrowserContext; page: Page; urls: string[] }> {
  const context = await browser.newContext({ javaScriptEnabled: false });
  if (token) await context.addCookies([{ name: 'plaza_session', value: token, url: server.url }]);
  const page = await context.newPage();
  const urls: string[] = [];
  page.on('request', (r) => urls.push(r.url()));
  return { context, page, urls };
}

describe('account pages without JavaScript', () => {
  it('submitting /login never puts the password in a URL, and the page says JavaScript is needed', async () => {
    const user = await createUser(ctx.db);
    const secret = `pw-${Date.now()}-secret`;
    const { context, page, urls } = await noScript();
    await page.goto(`${server.url}/login?next=/wallet`);
    expect(await page.locator('.script-needed').textContent()).toContain('Signing in needs JavaScript');
    await page.fill('#login-form input[name=login]', user.username);
    await page.fill('#login-form input[name=password]', secret);
    await Promise.all([page.waitForNavigation(), page.press('#login-form input[name=password]', 'Enter')]);
    expect(page.url()).not.toContain(secret);
    expect(page.url()).not.toContain('password');
    expect(new URL(page.url()).pathname).toBe('/login');
    expect(await page.locator('.flash.error[role=alert]').textContent()).toContain('needs JavaScript');
    await page.setViewportSize({ width: 390, height: 844 });
    await page.screenshot({ path: 'test-output/screenshots/login-nojs-phone.png', fullPage: true });
    for (const url of urls) expect(url).not.toContain(secret);
    // Not signed in, and the server's access log never saw it either.
    expect((await context.cookies()).some((c) => c.name === 'plaza_session')).toBe(false);
    expect(server.logs.some((l) => JSON.stringify(l).includes(secret))).toBe(false);
    await context.close();
  });

  it('every account form posts to an action', async () => {
    for (const path of ['/login', '/register', '/verify', '/reset-password', '/reset-password?token=x']) {
      const html = await (await fetch(`${server.url}${path}`)).text();
      const forms = [...html.matchAll(/<form[^>]*>/g)].map((m) => m[0]);
      expect(forms.length).toBeGreaterThan(0);
      for (const form of forms) {
        expect(form, `${path}: ${form}`).toContain('method="post"');
        expect(form, `${path}: ${form}`).toMatch(/action="\/[^"]*"/);
      }
    }
  });

  it('verifies the email by the form and is signed in; log out works by the form', async () => {
    const username = `nojs${Date.now().toString(36).slice(-6)}`;
    const email = `${username}@example.test`;
    const res = await fetch(`${server.url}/api/v1/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: server.url },
      body: JSON.stringify({
        email,
        username,
        password: TEST_PASSWORD,
        captcha: await captcha((p) => fetch(`${server.url}${p}`)),
      }),
    });
    expect(res.status).toBe(201);
    const code = /\b(\d{6})\b/.exec((await sink.waitForMessage(email)).text)?.[1];
    expect(code).toBeDefined();

    const { context, page } = await noScript();
    await page.goto(`${server.url}/verify?email=${encodeURIComponent(email)}`);
    await page.fill('#verify-form input[name=code]', code!);
    await Promise.all([
      page.waitForNavigation(),
      page.click('#verify-form button[type=submit]:not(#resend)'),
    ]);
    expect(new URL(page.url()).pathname).toBe('/');
    expect(await page.locator('.account').textContent()).toContain(`@${username}`);
    expect(await page.locator('.flash.ok').textContent()).toContain('verified');

    await Promise.all([page.waitForNavigation(), page.click('#logout')]);
    expect(new URL(page.url()).pathname).toBe('/');
    expect(await page.locator('.account a[href="/login"]').count()).toBe(1);
    expect((await context.cookies()).some((c) => c.name === 'plaza_session' && c.value)).toBe(false);
    await context.close();
  });

  it('/settings lists the sessions and revokes one by the form', async () => {
    const user = await createUser(ctx.db);
    const other = await fetch(`${server.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        origin: server.url,
        'user-agent': 'Mozilla/5.0 (iPhone) Safari/604.1',
      },
      body: JSON.stringify({
        login: user.username,
        password: TEST_PASSWORD,
        captcha: await captcha((p) => fetch(`${server.url}${p}`)),
      }),
    });
    expect(other.status).toBe(200);
    const otherToken = ((await other.json()) as { token: string }).token;

    const anonymous = await fetch(`${server.url}/settings`, { redirect: 'manual' });
    expect(anonymous.status).toBe(303);
    expect(anonymous.headers.get('location')).toBe('/login?next=%2Fsettings');

    const { context, page } = await noScript(user.token);
    await page.goto(`${server.url}/settings`);
    expect(await page.locator('.session').count()).toBe(2);
    expect(await page.locator('.session .this-device').count()).toBe(1);
    expect(await page.locator('.session', { hasText: 'Safari on iPhone' }).count()).toBe(1);
    expect(await page.locator('.session time[datetime]').count()).toBe(4);
    await Promise.all([
      page.waitForNavigation(),
      page.locator('.session', { hasText: 'Safari on iPhone' }).locator('button').click(),
    ]);
    expect(new URL(page.url()).pathname).toBe('/settings');
    expect(await page.locator('.flash.ok').textContent()).toContain('signed out');
    expect(await page.locator('.session').count()).toBe(1);
    const me = await fetch(`${server.url}/api/v1/me`, { headers: { authorization: `Bearer ${otherToken}` } });
    expect(me.status).toBe(401);

    // Two more devices, then "Sign out everywhere else": only this one is left, and it still works.
    const more = await Promise.all([
      createSession(ctx.db, user.id, 'a'),
      createSession(ctx.db, user.id, 'b'),
    ]);
    await page.reload();
    expect(await page.locator('.session').count()).toBe(3);
    await Promise.all([page.waitForNavigation(), page.click('#revoke-others button')]);
    expect(await page.locator('.flash.ok').textContent()).toContain('Every other device is signed out');
    expect(await page.locator('.session').count()).toBe(1);
    expect(await page.locator('#only-device').count()).toBe(1);
    for (const { token } of more) {
      const res = await fetch(`${server.url}/api/v1/me`, { headers: { authorization: `Bearer ${token}` } });
      expect(res.status).toBe(401);
    }
    await context.close();
  });

  it('an unknown path is an HTML 404 page for a browser; /api/ stays JSON', async () => {
    const { context, page } = await noScript();
    const res = await page.goto(`${server.url}/nope`);
    expect(res?.status()).toBe(404);
    expect(res?.headers()['content-type']).toContain('text/html');
    expect(await page.locator('h1').textContent()).toBe('Page not found');
    expect(await page.locator('.error-links a[href="/"]').count()).toBe(1);
    expect(await page.locator('header.topbar').count()).toBe(1);
    const api = await page.goto(`${server.url}/api/v1/nope`);
    expect(api?.status()).toBe(404);
    expect(api?.headers()['content-type']).toContain('application/json');
    expect(((await api!.json()) as { error: { code: string } }).error.code).toBe('not_found');
    // A program asking for JSON outside /api/ keeps the contract's JSON too.
    const json = await fetch(`${server.url}/nope`, { headers: { accept: 'application/json' } });
    expect(json.headers.get('content-type')).toContain('application/json');
    await context.close();
  });
});
