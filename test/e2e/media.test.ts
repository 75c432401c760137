// Photos in Chromium across two instances: two photos picked in the composer on instance A, described and
// posted, appear with both images loaded and their alt texts on a page open on instance B.
import { mkdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createClient } from '@plaza/client';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../helpers/browser.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { createUser, type TestUser } from '../helpers/factories.ts';
import { type PlazaProcess, startServer, startWorkers, stopAll } from '../helpers/processes.ts';
import { type Balancer, startBalancer } from '../helpers/tcp-balancer.ts';
import { photoJpeg } from '../media/images.ts';

let ctx: TestContext;
let mediaDir: string;
let front: Balancer;
let a: PlazaProcess;
let b: PlazaProcess;
let workers: PlazaProcess;
let browser: Browser;
const errors: string[] = [];
const screenshots = path.resolve('test-output/screenshots');

async function open(
  user: TestUser | null,
  server: PlazaProcess,
  at: string,
  width = 1280,
  height = 800,
  /** Pages without a live script (participants) never say they are live. */
  live = true,
) {
  const context = await browser.newContext({ viewport: { width, height } });
  if (user) {
    await context.addCookies([
      { name: 'plaza_session', value: user.token, url: server.url, httpOnly: true, sameSite: 'Lax' },
    ]);
  }
  const page = await context.newPage();
  page.on('pageerror', (error) => errors.push(error.message));
  // A Content-Security-Policy refusal (an upload host, an image origin, a style) is only a console error.
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  await page.goto(`${server.url}${at}`);
  if (live) await page.waitForSelector('body[data-live="ready"]');
  return page;
}

/** Each image of a post: whether it loaded (naturalWidth), its alt and where it links. */
const imagesOf = (page: Page, postId: string) =>
  page.locator(`#post-${postId} .media-grid img`).evaluateAll((imgs) =>
    imgs.map((img) => {
      const image = img as HTMLImageElement;
      return {
        loaded: image.complete && image.naturalWidth > 0,
        alt: image.alt,
        href: (image.closest('a') as HTMLAnchorElement | null)?.href ?? '',
      };
    }),
  );

beforeAll(async () => {
  mediaDir = await mkdtemp(path.join(tmpdir(), 'plaza-e2e-media-'));
  // One address in front of both instances, as in production: upload and image URLs are absolute
  // (PUBLIC_URL), and the instances share the media directory as they would share a bucket.
  front = await startBalancer([]);
  ctx = await createTestContext({ MEDIA_DIR: mediaDir, PUBLIC_URL: front.url });
  [a, b, workers, browser] = await Promise.all([
    startServer(ctx.env, 'media-a'),
    startServer(ctx.env, 'media-b'),
    startWorkers(ctx.env, ['media']),
    launchChromium(),
  ]);
  front.setBackends([a.port, b.port]);
});

afterAll(async () => {
  await browser?.close();
  await front?.close();
  await stopAll([a, b, workers]);
  await ctx?.close();
  await rm(mediaDir, { recursive: true, force: true });
});

describe('photos in posts, in Chromium', () => {
  it('two photos picked in the composer on instance A appear on instance B with both images and their alt texts', async () => {
    const author = await createUser(ctx.db);
    const reader = await createUser(ctx.db);
    const watcher = await open(reader, b, '/');
    const page = await open(author, a, '/');
    expect(await page.locator('[data-needs-script]').count()).toBe(0);

    const [first, second] = await Promise.all([photoJpeg(1600, 1200, 3), photoJpeg(900, 1200, 4)]);
    await page.setInputFiles('#composer [data-photo-input]', [
      { name: 'harbour.jpg', mimeType: 'image/jpeg', buffer: first },
      { name: 'tower.jpg', mimeType: 'image/jpeg', buffer: second },
    ]);
    const items = page.locator('#composer .photo-item');
    await expect.poll(() => items.count()).toBe(2);
    expect(await items.locator('progress').count()).toBe(2);
    await items.nth(0).locator('textarea').fill('Boats in the harbour at dusk');
    await items.nth(1).locator('textarea').fill('A brick tower against a grey sky');
    await page.fill('#composer textarea[name="body"]', 'Two photos from the walk');
    // Posting at once: the button waits for both uploads to be ready.
    await page.click('#composer button[type=submit]');

    const posted = page.locator('#posts article.post', { hasText: 'Two photos from the walk' });
    await posted.waitFor({ timeout: 30_000 });
    const postId = (await posted.getAttribute('data-post-id'))!;
    await expect.poll(() => items.count()).toBe(0);

    const onB = watcher.locator(`#post-${postId}`);
    await onB.waitFor({ timeout: 15_000 });
    expect(await onB.locator('.media-grid.media-2').count()).toBe(1);
    await expect
      .poll(async () => (await imagesOf(watcher, postId)).map((i) => i.loaded), { timeout: 15_000 })
      .toEqual([true, true]);
    const shown = await imagesOf(watcher, postId);
    expect(shown.map((i) => i.alt)).toEqual([
      'Boats in the harbour at dusk',
      'A brick tower against a grey sky',
    ]);
    // Each is a link to its full-size image, which is served.
    for (const image of shown) {
      expect(image.href).toMatch(new RegExp(`^${front.url}/media/`));
      expect((await fetch(image.href)).headers.get('content-type')).toBe('image/webp');
    }

    // The server's first paint on B shows the same.
    await watcher.reload();
    await watcher.waitForSelector('body[data-live="ready"]');
    await expect
      .poll(async () => (await imagesOf(watcher, postId)).map((i) => i.loaded))
      .toEqual([true, true]);
    expect((await imagesOf(watcher, postId)).map((i) => i.alt)).toEqual(shown.map((i) => i.alt));

    mkdirSync(screenshots, { recursive: true });
    await watcher.screenshot({ path: path.join(screenshots, 'media-feed-desktop.png') });
    const phone = await open(reader, b, `/posts/${postId}`, 390, 844);
    await expect.poll(async () => (await imagesOf(phone, postId)).map((i) => i.loaded)).toEqual([true, true]);
    await phone.screenshot({ path: path.join(screenshots, 'media-post-phone.png'), fullPage: true });
    expect(errors).toEqual([]);
  });

  it("an avatar uploaded in /settings shows on the person's posts, and removing it brings the initials back", async () => {
    const user = await createUser(ctx.db, { displayName: 'Ada Lovelace' });
    const plaza = createClient({ url: a.url, token: user.token });
    const post = await plaza.posts.create('Hello with a face');
    const page = await open(user, a, '/settings');
    expect(await page.textContent('#avatar-current .avatar')).toBe('AL');
    await page.setInputFiles('#avatar-upload [data-upload-input]', {
      name: 'me.jpg',
      mimeType: 'image/jpeg',
      buffer: await photoJpeg(800, 600, 5),
    });
    await expect
      .poll(() => page.textContent('#avatar-upload .upload-status'), { timeout: 20_000 })
      .toContain('saved');
    const me = await plaza.me();
    expect(me.avatar).not.toBeNull();
    expect(await page.getAttribute('#avatar-current img.avatar', 'src')).toBe(me.avatar!.large);
    expect(await page.getAttribute('#avatar-current img.avatar', 'alt')).toBe('Ada Lovelace');
    mkdirSync(screenshots, { recursive: true });
    await page.screenshot({ path: path.join(screenshots, 'media-settings-desktop.png'), fullPage: true });

    const reader = await open(null, b, `/posts/${post.id}`);
    const avatar = reader.locator(`#post-${post.id} img.avatar`);
    await expect
      .poll(() => avatar.evaluate((img) => (img as HTMLImageElement).naturalWidth))
      .toBeGreaterThan(0);
    expect(await avatar.getAttribute('alt')).toBe('Ada Lovelace');

    await page.click('#avatar-remove button');
    await expect.poll(() => page.textContent('#avatar-current .avatar')).toBe('AL');
    expect((await plaza.me()).avatar).toBeNull();
    expect(await page.locator('#avatar-remove').count()).toBe(0);
    const phone = await open(user, a, '/settings', 390, 844);
    await phone.screenshot({ path: path.join(screenshots, 'media-settings-phone.png'), fullPage: true });
    expect(errors).toEqual([]);
  });

  it('the event form takes a cover image, shows it on the event, and an edit removes it', async () => {
    const organizer = await createUser(ctx.db);
    const plaza = createClient({ url: a.url, token: organizer.token });
    const page = await open(organizer, a, '/events/new');
    await page.fill('input[name=title]', 'Photo walk');
    await page.fill('textarea[name=description]', 'Bring a camera.');
    await page.fill('input[name=startsAt]', '2027-03-01T10:00');
    await page.fill('input[name=endsAt]', '2027-03-01T12:00');
    await page.setInputFiles('#cover-upload [data-upload-input]', {
      name: 'cover.jpg',
      mimeType: 'image/jpeg',
      buffer: await photoJpeg(2000, 1200, 6),
    });
    // Sent at once: the form waits for the cover's upload.
    await page.click('#event-form button[type=submit]');
    await page.waitForURL(/\/events\/[0-9a-f-]{36}$/, { timeout: 30_000 });
    const id = page.url().split('/').pop()!;
    expect((await plaza.events.get(id)).cover).not.toBeNull();
    await expect
      .poll(() => page.locator('img.event-cover').evaluate((img) => (img as HTMLImageElement).naturalWidth))
      .toBeGreaterThan(0);
    await page.screenshot({ path: path.join(screenshots, 'media-event-desktop.png'), fullPage: true });

    await page.goto(`${a.url}/events/${id}/edit`);
    await page.waitForSelector('body[data-live="ready"]');
    expect(await page.isVisible('#cover-preview')).toBe(true);
    await page.screenshot({ path: path.join(screenshots, 'media-event-edit-desktop.png'), fullPage: true });
    await page.click('#cover-remove');
    await page.click('#event-form button[type=submit]');
    await page.waitForURL(`${a.url}/events/${id}`);
    expect((await plaza.events.get(id)).cover).toBeNull();
    expect(await page.locator('img.event-cover').count()).toBe(0);
    expect(errors).toEqual([]);
  });

  it('screenshots: 1, 3 and 4 photos, a picker mid-upload, avatars on a profile and participants, desktop and phone', async () => {
    const author = await createUser(ctx.db, { displayName: 'Grace Hopper' });
    const guest = await createUser(ctx.db, { displayName: 'Alan Turing' });
    const plaza = createClient({ url: front.url, token: author.token });
    const upload = async (w: number, h: number, seed: number, description = '') =>
      plaza.media.upload(new Blob([new Uint8Array(await photoJpeg(w, h, seed))], { type: 'image/jpeg' }), {
        description,
      });
    await plaza.me.setAvatar((await upload(600, 600, 7)).id);
    const one = [await upload(1600, 900, 8, 'A wide street')];
    const three = await Promise.all([upload(800, 1200, 9), upload(1200, 800, 10), upload(1000, 1000, 11)]);
    const four = await Promise.all([1, 2, 3, 4].map((n) => upload(900, 700, 11 + n, `Photo ${n}`)));
    await plaza.posts.create(
      '',
      one.map((m) => m.id),
    );
    await plaza.posts.create(
      'Three of them',
      three.map((m) => m.id),
    );
    await plaza.posts.create(
      'Four of them',
      four.map((m) => m.id),
    );
    const event = await plaza.events.create({
      title: 'Picnic',
      description: 'In the park.',
      startsAt: '2027-05-01T10:00:00Z',
      endsAt: '2027-05-01T14:00:00Z',
      coverMediaId: (await upload(1600, 1000, 20)).id,
    });
    await createClient({ url: a.url, token: guest.token }).events.join(event.id);

    mkdirSync(screenshots, { recursive: true });
    for (const [size, width, height] of [
      ['desktop', 1280, 800],
      ['phone', 390, 844],
    ] as const) {
      for (const [name, at] of [
        ['feed', '/'],
        ['profile', `/u/${author.username}`],
        ['participants', `/events/${event.id}/participants`],
        ['events', '/events'],
      ] as const) {
        const page = await open(guest, a, at, width, height, name !== 'participants');
        await page.waitForLoadState('networkidle');
        await page.screenshot({ path: path.join(screenshots, `media-${name}-${size}.png`), fullPage: true });
        await page.context().close();
      }
      const composer = await open(author, a, '/', width, height);
      await composer.setInputFiles('#composer [data-photo-input]', [
        { name: 'a.jpg', mimeType: 'image/jpeg', buffer: await photoJpeg(1200, 900, 30) },
        { name: 'b.jpg', mimeType: 'image/jpeg', buffer: await photoJpeg(900, 1200, 31) },
      ]);
      await composer.locator('#composer .photo-item').nth(1).waitFor();
      await composer.locator('#composer .photo-item textarea').first().fill('A quiet morning');
      await composer.screenshot({ path: path.join(screenshots, `media-composer-${size}.png`) });
      await composer.context().close();
    }
    expect(errors).toEqual([]);
  });
});
