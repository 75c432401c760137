// What `npm run build` makes, with esbuild, once per release (never inside a running server):
// the browser bundle, and the server-rendered pages with their JSX compiled (Node's type stripping
// runs .ts but not .tsx). Everything else runs from the source.
import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { build, type Plugin, stop } from 'esbuild';
import { BUILD_DIR, PAGES_OUTPUT, ROOT, SCRIPT_OUTPUT } from './paths.ts';

/** Written whole or not at all, so a server starting during a build never reads half a file. */
async function writeAtomically(file: string, contents: Uint8Array | string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.tmp`;
  await writeFile(temp, contents);
  await rename(temp, file);
}

async function browserScript(): Promise<Uint8Array> {
  const result = await build({
    entryPoints: [path.join(ROOT, 'server/pages/client/main.ts')],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['es2022'],
    minify: true,
    write: false,
    conditions: ['plaza-source'],
    legalComments: 'none',
    logLevel: 'silent',
  });
  return result.outputFiles[0]!.contents;
}

/**
 * Relative imports of .ts modules stay imports of those very source files (one module instance for
 * the whole process: `AppError` must be the same class in the pages as in the routes); only the
 * .tsx files are compiled into the output.
 */
const sourceModulesStayExternal = (outputDir: string): Plugin => ({
  name: 'plaza-source-modules-external',
  setup(b) {
    b.onResolve({ filter: /^\.\.?\// }, (args) => {
      if (args.path.endsWith('.tsx') || args.kind === 'entry-point') return undefined;
      const target = path.resolve(args.resolveDir, args.path);
      const relative = path.relative(outputDir, target).split(path.sep).join('/');
      return { path: relative.startsWith('.') ? relative : `./${relative}`, external: true };
    });
  },
});

async function serverPages(): Promise<Uint8Array> {
  const result = await build({
    entryPoints: [path.join(ROOT, 'server/pages/pages.routes.tsx')],
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: ['node24'],
    packages: 'external',
    jsx: 'automatic',
    jsxImportSource: 'hono/jsx',
    write: false,
    legalComments: 'inline',
    logLevel: 'silent',
    plugins: [sourceModulesStayExternal(path.dirname(PAGES_OUTPUT))],
  });
  return result.outputFiles[0]!.contents;
}

/** Builds both outputs and records the inputs they were built from (see freshness.ts). */
export async function buildAll(inputsHash: string): Promise<void> {
  // esbuild runs as a child service process: stopped once built, so no server that built keeps one.
  const [script, pages] = await Promise.all([browserScript(), serverPages()]).finally(() => stop());
  await writeAtomically(SCRIPT_OUTPUT, script);
  await writeAtomically(PAGES_OUTPUT, pages);
  await writeAtomically(path.join(BUILD_DIR, 'build.json'), `${JSON.stringify({ inputsHash })}\n`);
}
