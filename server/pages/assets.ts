// Browser assets, built once per process with esbuild from the SDK and kept in memory:
// the page bundle, the stylesheet, and the ALTCHA widget's worker and CSS, all from our own origin.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { Hono } from 'hono';

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

async function bundle(): Promise<Uint8Array> {
  const result = await build({
    entryPoints: [path.join(here, 'client/main.ts')],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['es2022'],
    minify: true,
    sourcemap: false,
    write: false,
    conditions: ['plaza-source'],
    legalComments: 'none',
    logLevel: 'silent',
  });
  return result.outputFiles[0]!.contents;
}

export async function buildAssets(): Promise<Assets> {
  const [app, css, altchaCss, worker] = await Promise.all([
    bundle(),
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
