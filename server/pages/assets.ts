// Browser assets, read once per process and kept in memory: the page bundle (built by `npm run build`,
// never by the server), the stylesheet, and the ALTCHA widget's worker and CSS, all from our own origin.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Hono } from 'hono';
import { SCRIPT_OUTPUT } from '../../build/paths.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');

interface Asset {
  body: Uint8Array;
  type: string;
  etag: string;
}

export interface Assets {
  routes: Hono;
  /** URL of an asset with its content hash, for long-lived caching. */
  url: (name: AssetName) => string;
}

export type AssetName = 'app.js' | 'plaza.css' | 'altcha-worker.js';

const etagOf = (body: Uint8Array) => createHash('sha256').update(body).digest('base64url').slice(0, 16);

async function readBundle(): Promise<Uint8Array> {
  try {
    return await readFile(SCRIPT_OUTPUT);
  } catch {
    throw new Error(`${path.relative(root, SCRIPT_OUTPUT)} is missing: run \`npm run build\``);
  }
}

export async function loadAssets(): Promise<Assets> {
  const [app, css, altchaCss, worker] = await Promise.all([
    readBundle(),
    readFile(path.join(here, 'plaza.css')),
    readFile(path.join(root, 'node_modules/altcha/dist_external/altcha.css')),
    readFile(path.join(root, 'node_modules/altcha/dist_external/worker.js')),
  ]);
  const cssBody = new TextEncoder().encode(`${altchaCss.toString()}\n${css.toString()}`);
  const assets = new Map<AssetName, Asset>([
    ['app.js', { body: app, type: 'text/javascript; charset=utf-8', etag: etagOf(app) }],
    ['plaza.css', { body: cssBody, type: 'text/css; charset=utf-8', etag: etagOf(cssBody) }],
    ['altcha-worker.js', { body: worker, type: 'text/javascript; charset=utf-8', etag: etagOf(worker) }],
  ]);

  const routes = new Hono().get('/assets/:name', (c) => {
    const asset = assets.get(c.req.param('name') as AssetName);
    if (!asset) return c.notFound();
    const etag = `"${asset.etag}"`;
    c.header('ETag', etag);
    // Hashed URLs never change content: cache for a year; plain URLs revalidate.
    c.header('Cache-Control', c.req.query('v') ? 'public, max-age=31536000, immutable' : 'no-cache');
    if (c.req.header('if-none-match') === etag) return c.body(null, 304);
    c.header('Content-Type', asset.type);
    return c.body(asset.body as Uint8Array<ArrayBuffer>);
  });

  return {
    routes,
    url: (name) => `/assets/${name}?v=${assets.get(name)!.etag}`,
  };
}
