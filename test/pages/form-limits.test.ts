// Limits are said before they are hit and never cut a paste silently: no form field carries `maxlength`;
// each limited field states its limit (`data-max` + a counter the bundle keeps live), matching the server's.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DISPLAY_NAME_MAX } from '../../server/auth/auth.schema.ts';
import { loadAssets } from '../../server/pages/assets.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { createUser } from '../helpers/factories.ts';
import { createInProcessApp, type InProcessApp } from '../helpers/in-process-app.ts';

let ctx: TestContext;
let app: InProcessApp;

beforeAll(async () => {
  ctx = await createTestContext();
  app = createInProcessApp(ctx, { assets: await loadAssets() });
});

afterAll(async () => {
  await app?.close();
  await ctx?.close();
});

async function page(path: string, token?: string): Promise<string> {
  const res = await app.app.request(path, {
    headers: { accept: 'text/html', ...(token ? { cookie: `plaza_session=${token}` } : {}) },
  });
  expect(res.status).toBe(200);
  return res.text();
}

const limits = (html: string) =>
  Object.fromEntries(
    [...html.matchAll(/name="(\w+)"[^>]*data-max="(\d+)"/g)].map((m) => [m[1], Number(m[2])]),
  );

describe('form limits', () => {
  it('no page cuts what is typed or pasted: every limit is stated, none is a maxlength', async () => {
    const user = await createUser(ctx.db);
    const pages = {
      register: await page('/register'),
      feed: await page('/', user.token),
      wallet: await page('/wallet', user.token),
      newEvent: await page('/events/new', user.token),
    };
    for (const html of Object.values(pages)) expect(html).not.toMatch(/maxlength/i);
    expect(limits(pages.register)).toMatchObject({ displayName: DISPLAY_NAME_MAX });
    expect(limits(pages.feed)).toMatchObject({ body: 5000 });
    expect(limits(pages.wallet)).toHaveProperty('memo');
    expect(limits(pages.newEvent)).toMatchObject({ title: 120 });
    expect(Object.keys(limits(pages.newEvent))).toEqual(
      expect.arrayContaining(['title', 'summary', 'description', 'location']),
    );
  });
});
