// Error pages for browsers (Accept: text/html) outside /api/: HTML with the layout and the API's status,
// also when the failure happens before any page route (the session check's 403, an outage's 503).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb } from '../../server/db/database.ts';
import { loadAssets } from '../../server/pages/assets.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { createUser } from '../helpers/factories.ts';
import { createInProcessApp, type InProcessApp } from '../helpers/in-process-app.ts';

const HTML = { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' };

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

describe('error pages for browsers', () => {
  it('an unknown path is an HTML 404 page; /api/ and JSON clients keep the JSON', async () => {
    const page = await app.app.request('/no/such/page', { headers: HTML });
    expect(page.status).toBe(404);
    expect(page.headers.get('content-type')).toContain('text/html');
    const html = await page.text();
    expect(html).toContain('Page not found');
    expect(html).toContain('<header class="topbar">');
    const api = await app.app.request('/api/v1/no/such', { headers: HTML });
    expect(api.status).toBe(404);
    expect(((await api.json()) as { error: { code: string } }).error.code).toBe('not_found');
    const json = await app.app.request('/no/such/page');
    expect(json.headers.get('content-type')).toContain('application/json');
  });

  it("a cross-origin form post with a session cookie is an HTML 403 page (the session check's refusal)", async () => {
    const user = await createUser(ctx.db);
    const res = await app.app.request('http://localhost/logout', {
      method: 'POST',
      headers: { ...HTML, cookie: `plaza_session=${user.token}`, origin: 'https://evil.example' },
    });
    expect(res.status).toBe(403);
    expect(res.headers.get('content-type')).toContain('text/html');
    expect(await res.text()).toContain('Not allowed');
  });

  it('PostgreSQL away: a signed-in browser gets an HTML 503 page, the API its JSON 503', async () => {
    const user = await createUser(ctx.db);
    const down = createDb({
      url: 'postgres://postgres@127.0.0.1:1/nothing',
      poolSize: 1,
      applicationName: 'down',
    });
    const broken = createInProcessApp(ctx, { db: down, assets: await loadAssets() });
    try {
      const cookie = `plaza_session=${user.token}`;
      const page = await broken.app.request('/settings', { headers: { ...HTML, cookie } });
      expect(page.status).toBe(503);
      expect(page.headers.get('content-type')).toContain('text/html');
      expect(await page.text()).toContain('Temporarily unavailable');
      const api = await broken.app.request('/api/v1/me', { headers: { cookie } });
      expect(api.status).toBe(503);
      expect(api.headers.get('content-type')).toContain('application/json');
    } finally {
      await broken.close();
      await down.destroy();
    }
  });
});
