import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../..');
const work = mkdtempSync(path.join(tmpdir(), 'plaza-sdk-'));
const run = (cmd: string, args: string[], cwd: string) =>
  execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 });

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('the @plaza/client package', () => {
  it('builds, packs, installs into another app and type-checks and runs there', () => {
    run('npm', ['run', 'build', '-w', 'client-sdk'], root);
    run('npm', ['pack', '--pack-destination', work], path.join(root, 'client-sdk'));
    const tarball = readdirSync(work).find((f) => f.endsWith('.tgz'))!;
    const app = path.join(work, 'app');
    run('mkdir', ['-p', app], work);
    writeFileSync(
      path.join(app, 'package.json'),
      JSON.stringify({ name: 'consumer', type: 'module', private: true }),
    );
    run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', path.join(work, tarball)], app);

    writeFileSync(
      path.join(app, 'consumer.ts'),
      `import { createClient, PlazaError, type Post, type PushEnvelope } from '@plaza/client';
import type { Transfer } from '@plaza/client/protocol';
const client = createClient({ url: 'http://127.0.0.1:9' });
const onPost = (post: Post): string => post.author.username;
const onPush = (push: PushEnvelope<'post:created'>): number => push.seq;
const t: Transfer['status'] = 'pending';
export const check = [client.posts.list, onPost, onPush, t, PlazaError];
// @ts-expect-error the SDK knows that posts.create takes a string body
void client.posts.create(42);
console.log(typeof client.subscribe, typeof PlazaError);
client.close();
`,
    );
    writeFileSync(
      path.join(app, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          strict: true,
          noEmit: true,
          skipLibCheck: false,
          lib: ['ES2022', 'DOM'],
          types: [],
        },
        include: ['consumer.ts'],
      }),
    );
    run(path.join(root, 'node_modules/.bin/tsc'), ['-p', 'tsconfig.json'], app);
    writeFileSync(
      path.join(app, 'run.mjs'),
      "import { createClient, PlazaError } from '@plaza/client';\nconst c = createClient({ url: 'http://127.0.0.1:9' });\nconsole.log(typeof c.posts.list, PlazaError.name);\n",
    );
    expect(run('node', ['run.mjs'], app).trim()).toBe('function PlazaError');
  });
});
