// In-process app for feed route tests: the real app over the test context's database and Redis.
import type { Post } from '@plaza/client/protocol';
import { type App, createApp } from '../../server/app.ts';
import { loadConfig } from '../../server/config.ts';
import { Queues } from '../../server/jobs/queues.ts';
import { createLogger } from '../../server/lib/logger.ts';
import { closeRedis, createRedis } from '../../server/lib/redis.ts';
import { readRelayPosition } from '../../server/realtime/event-log.ts';
import type { TestContext } from '../helpers/context.ts';
import { bearer, type TestUser } from '../helpers/factories.ts';

export interface Harness {
  app: App;
  close: () => Promise<void>;
  call: (method: string, path: string, user?: TestUser | null, body?: unknown) => Promise<Response>;
  json: <T>(method: string, path: string, user?: TestUser | null, body?: unknown) => Promise<[number, T]>;
  writePost: (user: TestUser, body: string) => Promise<Post>;
}

export function startHarness(ctx: TestContext, env: Record<string, string> = {}): Harness {
  const config = loadConfig({ ...ctx.env, ...env });
  const redis = createRedis(ctx.redisUrl, 'commands', 'feed-test');
  const app = createApp({
    config,
    db: ctx.db,
    redis,
    queues: new Queues(redis, ctx.redisPrefix),
    logger: createLogger('silent', 'test'),
    currentSeq: async () => (await readRelayPosition(ctx.db)).emittedSeq,
    isDraining: () => false,
    isRelayLeader: () => false,
  });
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
  return { app, call, json, writePost, close: () => closeRedis(redis) };
}

export type ErrorReply = { error: { code: string; message: string; details?: Record<string, unknown> } };
