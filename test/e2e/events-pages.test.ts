// The event pages in Chromium: times in the browser's zone, paid and full events, and every simple write
// by forms with JavaScript disabled. Two server instances: the form posts on one, the page watches on the other.
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
  user: TestUser | null,
  server: PlazaProcess,
  options: BrowserContextOptions = {},
): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, ...options });
  if (user)
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

const inDays = (days: number) => new Date(Date.now() + days * 86_400_000);

async function anEvent(organizer: TestUser, extra: { capacity?: number; priceCents?: number } = {}) {
  return createClient({ url: a.url, token: organizer.token }).events.create({
    title: `Gathering ${Math.random().toString(36).slice(2, 7)}`,
    description: 'Come along.',
    startsAt: inDays(5).toISOString(),
    endsAt: inDays(5.1).toISOString(),
    ...extra,
  });
}

beforeAll(async () => {
  ctx = await createTestContext();
  [a, b, workers, browser] = await Promise.all([
    startServer(ctx.env, 'events-a'),
    startServer(ctx.env, 'events-b'),
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

describe('event pages in Chromium', () => {
  it('an event entered at 18:00 in Berlin is 17:00Z in the API and shows as 18:00', async () => {
    const organizer = await createUser(ctx.db);
    const page = await pageAs(organizer, a, { timezoneId: 'Europe/Berlin' });
    await page.goto(`${a.url}/events/new`);
    await page.waitForSelector('body[data-live="ready"]');
    await page.screenshot({ path: path.join(shots, 'event-new-desktop.png'), fullPage: true });
    // The limit is the server's, shown before it is hit (stated, never a maxlength that cuts a paste).
    expect(await page.getAttribute('input[name=title]', 'data-max')).toBe('120');
    expect(await page.getAttribute('input[name=title]', 'maxlength')).toBeNull();
    await page.fill('input[name=title]', 'Winter concert');
    expect(await page.textContent('.counter[data-for="title"]')).toContain('14');
    await page.fill('textarea[name=description]', 'Strings and brass.');
    await page.fill('input[name=startsAt]', '2027-01-15T18:00');
    await page.fill('input[name=endsAt]', '2027-01-15T20:00');
    await page.click('#event-form button[type=submit]');
    await page.waitForURL(/\/events\/[0-9a-f-]{36}$/);
    const id = page.url().split('/').pop()!;
    const event = await createClient({ url: a.url }).events.get(id);
    expect(new Date(event.startsAt).toISOString()).toBe('2027-01-15T17:00:00.000Z');
    await expect.poll(() => page.textContent('.event-when time')).toContain('6:00');
    expect(await page.textContent('.event-when time')).not.toContain('UTC');

    // The edit form is filled in local time too.
    await page.goto(`${a.url}/events/${id}/edit`);
    await page.waitForSelector('body[data-live="ready"]');
    expect(await page.inputValue('input[name=startsAt]')).toBe('2027-01-15T18:00');
    await page.screenshot({ path: path.join(shots, 'event-edit-desktop.png'), fullPage: true });
    expect(errors).toEqual([]);
  });

  it("refusals are sentences, not the validator's words", async () => {
    const organizer = await createUser(ctx.db);
    const page = await pageAs(organizer, a);
    await page.goto(`${a.url}/events/new`);
    await page.waitForSelector('body[data-live="ready"]');
    // Without the page's own check, the server's refusal is what the person reads.
    await page.evaluate(() => document.querySelector('input[name=title]')!.removeAttribute('data-max'));
    await page.fill('input[name=title]', 'x'.repeat(130));
    await page.fill('textarea[name=description]', 'Too long a title.');
    await page.fill('input[name=startsAt]', '2027-02-01T10:00');
    await page.fill('input[name=endsAt]', '2027-02-01T11:00');
    await page.click('#event-form button[type=submit]');
    await expect.poll(() => page.textContent('#event-form .error')).toBe('Title: at most 120 characters');
  });

  it('a full event offers the waitlist; a paid join is pending, then going once settled', async () => {
    const organizer = await createUser(ctx.db);
    const [first, second, admin] = [
      await createUser(ctx.db),
      await createUser(ctx.db),
      await createUser(ctx.db, { role: 'admin' }),
    ];
    const full = await anEvent(organizer, { capacity: 1 });
    await createClient({ url: a.url, token: first.token }).events.join(full.id);
    const page = await pageAs(second, b);
    await page.goto(`${b.url}/events/${full.id}`);
    await page.waitForSelector('body[data-live="ready"]');
    expect(await page.textContent('#participation')).toBe('Join waitlist');
    expect(await page.textContent('.counts')).toContain('1 going of 1');

    const paid = await anEvent(organizer, { priceCents: 1250 });
    await createClient({ url: a.url, token: admin.token }).admin.mint({
      username: second.username,
      amountCents: 5_000,
    });
    await page.goto(`${b.url}/events/${paid.id}`);
    await page.waitForSelector('body[data-live="ready"]');
    expect(await page.textContent('.event-price')).toContain('€12.50');
    expect(await page.textContent('#participation')).toBe('Pay €12.50 to attend');
    await page.click('#participation');
    await expect.poll(() => page.textContent('#my-status'), { timeout: 20_000 }).toMatch(/going/);
    await page.screenshot({ path: path.join(shots, 'event-desktop.png'), fullPage: true });
    const phone = await pageAs(second, b, { viewport: { width: 390, height: 844 } });
    await phone.goto(`${b.url}/events/${paid.id}`);
    await phone.screenshot({ path: path.join(shots, 'event-phone.png'), fullPage: true });
    await phone.goto(`${b.url}/events`);
    await phone.screenshot({ path: path.join(shots, 'events-phone.png'), fullPage: true });
    await phone.goto(`${b.url}/events/new`);
    await phone.screenshot({ path: path.join(shots, 'event-new-phone.png'), fullPage: true });
    await page.goto(`${b.url}/events`);
    await page.screenshot({ path: path.join(shots, 'events-desktop.png'), fullPage: true });
    expect(errors).toEqual([]);
  });

  it('without JavaScript: create (times in UTC, said so), join, leave, participants, cancel', async () => {
    const organizer = await createUser(ctx.db);
    const guest = await createUser(ctx.db, { displayName: 'Grace Guest' });
    const page = await pageAs(organizer, a, { javaScriptEnabled: false, timezoneId: 'Europe/Berlin' });
    await page.goto(`${a.url}/events/new`);
    expect(await page.textContent('#event-form')).toContain('UTC');
    await page.fill('input[name=title]', 'Scriptless picnic');
    await page.fill('textarea[name=description]', 'Bring a blanket.');
    await page.fill('input[name=startsAt]', '2027-06-01T18:00');
    await page.fill('input[name=endsAt]', '2027-06-01T20:00');
    await page.fill('input[name=price]', '3.5');
    await submit(page, '#event-form button[type=submit]');
    expect(page.url()).toMatch(/\/events\/[0-9a-f-]{36}$/);
    const id = page.url().split('/').pop()!;
    const event = await createClient({ url: a.url }).events.get(id);
    expect(new Date(event.startsAt).toISOString()).toBe('2027-06-01T18:00:00.000Z');
    expect(event.priceCents).toBe(350);

    await createClient({ url: a.url, token: organizer.token }).events.update(id, { priceCents: 0 });
    const visitor = await pageAs(guest, b, { javaScriptEnabled: false });
    await visitor.goto(`${b.url}/events/${id}`);
    await submit(visitor, '#participation');
    expect(visitor.url()).toBe(`${b.url}/events/${id}`);
    expect(await visitor.textContent('#my-status')).toContain('You are going');
    await visitor.goto(`${b.url}/events/${id}/participants`);
    expect(await visitor.textContent('#participants')).toContain('Grace Guest');
    await visitor.goto(`${b.url}/events/${id}`);
    await submit(visitor, '#participation');
    expect(visitor.url()).toBe(`${b.url}/events/${id}`);
    expect(await visitor.textContent('#participation')).toBe('Join');

    // The edit form without the script is in UTC too, and saves by form.
    await page.goto(`${a.url}/events/${id}/edit`);
    expect(await page.inputValue('input[name=startsAt]')).toBe('2027-06-01T18:00');
    await page.fill('input[name=title]', 'Scriptless picnic, moved');
    await submit(page, '#event-form button[type=submit]');
    expect(page.url()).toBe(`${a.url}/events/${id}`);
    expect(await page.textContent('h1')).toBe('Scriptless picnic, moved');

    await page.goto(`${a.url}/events/${id}/cancel`);
    await submit(page, '#cancel-form button[type=submit]');
    expect(page.url()).toBe(`${a.url}/events/${id}`);
    expect((await createClient({ url: a.url }).events.get(id)).status).toBe('cancelled');
    expect(await page.textContent('main')).toContain('cancelled');
  });
});
