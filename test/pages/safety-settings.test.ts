// /settings "Blocked and muted" in Chromium without JavaScript: lists whom the person blocks and mutes (a
// mute's end in the reader's terms), and Unblock / Unmute work by their forms and come back to the section.
// Screenshots at desktop and phone widths go to test-output/screenshots/.
import { mkdirSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../helpers/browser.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { bearer, createUser } from '../helpers/factories.ts';
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

const api = (method: string, path: string, token: { token: string }, body?: unknown) =>
  fetch(`${server.url}/api/v1${path}`, {
    method,
    headers: { ...bearer(token), ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });

describe('/settings blocked and muted', () => {
  it('lists blocks and mutes and undoes them by form, without JavaScript', async () => {
    const me = await createUser(ctx.db, { displayName: 'Ada' });
    const troll = await createUser(ctx.db, { displayName: 'Troll' });
    const loud = await createUser(ctx.db, { displayName: 'Loud Larry' });
    const later = await createUser(ctx.db, { displayName: 'Chatty Cathy' });
    expect((await api('PUT', `/users/${troll.username}/block`, me)).status).toBe(200);
    expect((await api('PUT', `/users/${loud.username}/mute`, me, {})).status).toBe(200);
    const until = new Date(Date.now() + 3 * 86_400_000).toISOString();
    expect((await api('PUT', `/users/${later.username}/mute`, me, { expiresAt: until })).status).toBe(200);

    mkdirSync('test-output/screenshots', { recursive: true });
    for (const [name, viewport] of [
      ['desktop', { width: 1280, height: 800 }],
      ['phone', { width: 390, height: 844 }],
    ] as const) {
      const context = await browser.newContext({ javaScriptEnabled: false, viewport });
      await context.addCookies([{ name: 'plaza_session', value: me.token, url: server.url }]);
      const page = await context.newPage();
      await page.goto(`${server.url}/settings#safety`);
      expect(await page.locator('#block-list').textContent()).toContain('Troll');
      const mutes = (await page.locator('#mute-list').textContent()) ?? '';
      expect(mutes).toContain('Loud Larry');
      expect(mutes).toContain('until you unmute');
      expect(mutes).toContain('Chatty Cathy');
      await page
        .locator('#safety')
        .screenshot({ path: `test-output/screenshots/settings-safety-${name}.png` });
      await context.close();
    }

    const context = await browser.newContext({ javaScriptEnabled: false });
    await context.addCookies([{ name: 'plaza_session', value: me.token, url: server.url }]);
    const page = await context.newPage();
    await page.goto(`${server.url}/settings#safety`);
    await Promise.all([page.waitForNavigation(), page.click('#block-list button[type=submit]')]);
    expect(new URL(page.url()).pathname).toBe('/settings');
    expect(await page.locator('.flash').first().textContent()).toContain('Unblocked');
    expect(await page.locator('#no-blocks').count()).toBe(1);
    await Promise.all([
      page.waitForNavigation(),
      page.click('#mute-list li:first-child button[type=submit]'),
    ]);
    expect(await page.locator('#mute-list li').count()).toBe(1);
    await context.close();
    const blocks = (await (await api('GET', '/me/blocks', me)).json()) as { items: unknown[] };
    expect(blocks.items).toHaveLength(0);
  });
});
