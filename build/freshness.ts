// Is dist/ built from the sources as they are now? `npm start`, `npm run server` and the test run
// build it when it is missing or stale; a production image ships it built and only checks.
import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { BUILD_DIR, BUILD_INPUTS, ROOT } from './paths.ts';

async function filesUnder(relative: string): Promise<string[]> {
  const full = path.join(ROOT, relative);
  if (!(await stat(full)).isDirectory()) return [relative];
  const entries = await readdir(full, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => path.relative(ROOT, path.join(e.parentPath, e.name)))
    .sort();
}

/** A hash of the build's inputs by content (checkouts and copies change mtimes, not contents). */
export async function inputsHash(): Promise<string> {
  const hash = createHash('sha256');
  for (const input of BUILD_INPUTS) {
    for (const file of await filesUnder(input)) {
      hash
        .update(`${file}\0`)
        .update(await readFile(path.join(ROOT, file)))
        .update('\0');
    }
  }
  return hash.digest('base64url');
}

async function builtHash(): Promise<string | null> {
  try {
    const manifest = JSON.parse(await readFile(path.join(BUILD_DIR, 'build.json'), 'utf8')) as {
      inputsHash?: string;
    };
    return manifest.inputsHash ?? null;
  } catch {
    return null;
  }
}

/** Builds when dist/ is missing or older than the sources; returns whether it built. */
export async function ensureBuilt(say: (line: string) => void): Promise<boolean> {
  const current = await inputsHash();
  const built = await builtHash();
  if (built === current) return false;
  say(built ? 'sources changed since the last build: building dist/' : 'building dist/ (first run)');
  let buildAll: (hash: string) => Promise<void>;
  try {
    // Loaded only when needed: esbuild is a development dependency, absent from production images.
    ({ buildAll } = await import('./bundles.ts'));
  } catch (error) {
    throw new Error(
      `dist/ is ${built ? 'stale' : 'missing'} and esbuild is not installed here (${(error as Error).message}): run \`npm ci && npm run build\``,
    );
  }
  await buildAll(current);
  return true;
}
