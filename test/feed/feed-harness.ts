// In-process app for feed route tests: the real app over the test context's database and Redis.
import type { Post } from '@plaza/client/protocol';
import type { App, AppDeps } from '../../server/app.ts';
import type { TestContext } from '../helpers/context.ts';
import { bearer, type TestUser } from '../helpers/factories.ts';
import { createInProcessApp } from '../helpers/in-process-app.ts';

export interface Harness {
  app: App;
  deps: AppDeps;
  close: () => Promise<void>;
  call: (method: string, path: string, user?: TestUser | null, body?: unknown) => Promise<Response>;
  json: <T>(method: string, path: string, user?: TestUser | null, body?: unknown) => Promise<[number, T]>;
  writePost: (user: TestUser, body: string) => Promise<Post>;
}

export function startHarness(ctx: TestContext, env: Record<string, string> = {}): Harness {
  const { app, deps, close } = createInProcessApp(ctx, {}, env);
  const call = (method: string, path: string, user?: TestUser | null, body?: unknown) =>
    Promise.resolve(
      app.request(`/api/v1${path}`, {
        method,
        headers: {
          ...(user ? bearer(user) : {}),
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      }),
    );
  const json = async <T>(
    method: string,
    path: string,
    user?: TestUser | null,
    body?: unknown,
  ): Promise<[number, T]> => {
    const res = await call(method, path, user, body);
    const text = await res.text();
    return [res.status, (text ? JSON.parse(text) : null) as T];
  };
  const writePost = async (user: TestUser, body: string) => {
    const [status, post] = await json<Post>('POST', '/posts', user, { body });
    if (status !== 201) throw new Error(`POST /posts answered ${status}: ${JSON.stringify(post)}`);
    return post;
  };
  return { app, deps, call, json, writePost, close };
}

export type ErrorReply = { error: { code: string; message: string; details?: Record<string, unknown> } };
