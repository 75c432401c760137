// GET /docs: Swagger UI over /api/v1/openapi.json. Its script and stylesheet are served from our own
// origin (swagger-ui-dist, pinned), so the page works offline and loads nothing from third parties.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { swaggerUI } from '@hono/swagger-ui';
import { Hono } from 'hono';
import { API_PREFIX, OPENAPI_PATH } from './openapi.document.ts';

/** @hono/swagger-ui asks for `${base}/swagger-ui-dist/<file>`. */
const ASSET_BASE = '/docs/assets';
const ASSETS: Readonly<Record<string, string>> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
};

const distDir = path.dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));

export function docsRoutes(): Hono {
  // Read once, on first use: two files, ~1.5 MB, the same for the process's life.
  const cache = new Map<string, Promise<Buffer>>();
  const asset = (name: string) => {
    let file = cache.get(name);
    if (!file) {
      file = readFile(path.join(distDir, name));
      cache.set(name, file);
    }
    return file;
  };
  return new Hono()
    .get(
      '/docs',
      swaggerUI({
        url: `${API_PREFIX}${OPENAPI_PATH}`,
        title: 'Plaza API',
        baseUrl: ASSET_BASE,
        persistAuthorization: true,
      }),
    )
    .get(`${ASSET_BASE}/swagger-ui-dist/:name`, async (c) => {
      const name = c.req.param('name');
      const type = ASSETS[name];
      if (!type) return c.notFound();
      return c.body(new Uint8Array(await asset(name)), 200, {
        'content-type': type,
        'cache-control': 'public, max-age=86400',
      });
    });
}
