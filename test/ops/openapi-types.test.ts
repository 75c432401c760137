// A client generated from the served document must compile under `tsc --strict` and read the wire
// objects as they are: `post.author` is never null, `transfer.from` may be (a mint), `?unread` is a boolean.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import openapiTS, { type OpenAPI3 } from 'openapi-typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { createInProcessApp, type InProcessApp } from '../helpers/in-process-app.ts';

const run = promisify(execFile);
const TSC = resolve('node_modules/typescript/bin/tsc');

let ctx: TestContext;
let served: InProcessApp;
let dir: string;

beforeAll(async () => {
  ctx = await createTestContext();
  served = createInProcessApp(ctx);
  dir = await mkdtemp(join(tmpdir(), 'plaza-openapi-types-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
  await served.close();
  await ctx.close();
});

/** Each line that must compile, and each `@ts-expect-error` that must still be an error. */
const CLIENT = `
import type { components, operations, paths } from './schema';

type Post = components['schemas']['Post'];
type Transfer = components['schemas']['Transfer'];
type Comment = components['schemas']['Comment'];
type Event = components['schemas']['Event'];

export const authorOf = (post: Post): string => post.author.username;
export const commenterOf = (comment: Comment): string => comment.author.displayName;
export const organizerOf = (event: Event): string => event.organizer.username;
export const senderOf = (transfer: Transfer): string => transfer.from?.username ?? 'minted';
export const recipientOf = (transfer: Transfer): string => transfer.to.username;
// @ts-expect-error a minted transfer has no sender: from needs a null check
export const uncheckedSender = (transfer: Transfer): string => transfer.from.username;

type FeedPage = paths['/api/v1/posts']['get']['responses'][200]['content']['application/json'];
export const firstAuthor = (page: FeedPage): string | undefined => page.items[0]?.author.username;

type InboxQuery = NonNullable<operations['notificationsList']['parameters']['query']>;
export const unreadOnly: InboxQuery = { unread: true, limit: 20 };
// @ts-expect-error unread is a boolean, not the text of one
export const unreadText: InboxQuery = { unread: 'true' };
// @ts-expect-error limit is a number
export const limitText: InboxQuery = { limit: '20' };
`;

describe('OpenAPI document → openapi-typescript → tsc --strict', () => {
  it('types a strict client that reads authors without a null check and a transfer sender with one', async () => {
    const res = await served.app.request('/api/v1/openapi.json');
    expect(res.status).toBe(200);
    const schema = await openapiTS((await res.json()) as OpenAPI3, { silent: true });
    await writeFile(join(dir, 'schema.d.ts'), schema);
    await writeFile(join(dir, 'client.ts'), CLIENT);
    await writeFile(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          noEmit: true,
          target: 'es2022',
          module: 'preserve',
          moduleResolution: 'bundler',
          types: [],
          skipLibCheck: false,
        },
        files: ['client.ts', 'schema.d.ts'],
      }),
    );
    const outcome = await run(process.execPath, [TSC, '-p', dir], { cwd: dir }).then(
      () => ({ code: 0, output: '' }),
      (error: { code?: number; stdout?: string; stderr?: string }) => ({
        code: error.code ?? -1,
        output: `${error.stdout ?? ''}${error.stderr ?? ''}`,
      }),
    );
    expect(outcome.output).toBe('');
    expect(outcome.code).toBe(0);
  });
});
