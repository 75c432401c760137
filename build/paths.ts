// Where the build reads from and writes to; shared by the build, its freshness check and the server.
import path from 'node:path';

export const ROOT = path.resolve(import.meta.dirname, '..');
export const BUILD_DIR = path.join(ROOT, 'dist');
/** The browser bundle (served as /assets/app.js). */
export const SCRIPT_OUTPUT = path.join(BUILD_DIR, 'assets/app.js');
/** The compiled pages; package.json `imports` maps `#server-pages` here when not in a source-aware tool. */
export const PAGES_OUTPUT = path.join(BUILD_DIR, 'server/pages.js');
/** What the outputs are made from: a change in any of these makes the build stale. */
export const BUILD_INPUTS = ['server/pages', 'client-sdk/src', 'build', 'package-lock.json'];
