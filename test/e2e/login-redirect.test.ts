// After logging in, `?next=` never takes the browser off our origin, however the other host is spelled.
import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { captchaSolved, launchChromium } from '../helpers/browser.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { createUser, TEST_PASSWORD } from '../helpers/factories.ts';
import { type PlazaProcess, startServer, stopAll } from '../helpers/processes.ts';

let ctx: TestContext;
let server: PlazaProcess;
let browser: Browser;

beforeAll(async () => {
  ctx = await createTestContext();
  [server, browser] = await Promise.all([startServer(ctx.env, 'web'), launchChromium()]);
});

afterAll(async () => {
  await browser?.close();
  await stopAll([server]);
  await ctx?.close();
});

/** Query strings as an attacker would put them in a link to our login page. */
const HOSTILE = [
  '/%5Cevil.example',
  '/%09/evil.example',
  '/.//evil.example',
  '//evil.example',
  'https://evil.example',
];

describe('login ?next=', () => {
  it.each(HOSTILE)('the login page renders %s as a path on our origin', async (next) => {
    const res = await fetch(`${server.url}/login?next=${next}`);
    const html = await res.text();
    const targets = [...html.matchAll(/data-next="([^"]*)"/g)].map((m) => m[1]);
    expect(targets).toEqual(['/', '/']);
  });

  it('keeps a path of ours', async () => {
    const html = await (await fetch(`${server.url}/login?next=/wallet`)).text();
    expect(html).toContain('data-next="/wallet"');
  });

  it('logging in in Chromium with a hostile next stays on our origin', async () => {
    const user = await createUser(ctx.db);
    const context: BrowserContext = await browser.newContext();
    const offsite: string[] = [];
    // Whatever leaves our origin is recorded and answered here, never fetched from the network.
    await context.route(
      (url) => url.origin !== server.url,
      (route) => {
        offsite.push(route.request().url());
        return route.fulfill({ status: 200, contentType: 'text/html', body: 'elsewhere' });
      },
    );
    try {
      for (const next of ['/%5Cevil.example', '/%09/evil.example']) {
        const page = await context.newPage();
        await page.goto(`${server.url}/login?next=${next}`);
        await page.fill('#login-form input[name=login]', user.username);
        await page.fill('#login-form input[name=password]', TEST_PASSWORD);
        // The proof of work is solved by the page on load; on a loaded machine that takes a while.
        await captchaSolved(page, '#login-form');
        await page.click('#login-form button[type=submit]');
        // No deadline of its own: on a loaded machine Chromium takes its time; the test's own timeout bounds it.
        // A refusal shown in the form ends the wait at once, with its words.
        const refused = page
          .waitForFunction(
            () => document.querySelector('#login-form .error')?.textContent?.trim(),
            undefined,
            {
              timeout: 0,
            },
          )
          .then(async (handle) => {
            throw new Error(`the login form said: ${await handle.jsonValue()}`);
          });
        await Promise.race([
          page.waitForURL((url) => url.href !== `${server.url}/login?next=${next}`, { timeout: 0 }),
          refused,
        ]);
        refused.catch(() => {});
        expect(new URL(page.url()).origin).toBe(server.url);
        expect(new URL(page.url()).pathname).toBe('/');
        await page.close();
        await context.clearCookies();
      }
      expect(offsite).toEqual([]);
    } finally {
      await context.close();
    }
  }, 180_000);
});
