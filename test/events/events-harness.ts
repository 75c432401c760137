// In-process app for event and notification route tests: the real app over the test context's database and Redis.
import type { Event } from '@plaza/client/protocol';
import { type App, createApp } from '../../server/app.ts';
import { type Config, loadConfig } from '../../server/config.ts';
import { Queues } from '../../server/jobs/queues.ts';
import { createLogger } from '../../server/lib/logger.ts';
import { closeRedis, createRedis } from '../../server/lib/redis.ts';
import { readRelayPosition } from '../../server/realtime/event-log.ts';
import type { TestContext } from '../helpers/context.ts';
import { bearer, type TestUser } from '../helpers/factories.ts';

export interface Harness {
  app: App;
  config: Config;
  queues: Queues;
  close: () => Promise<void>;
  json: <T>(method: string, path: string, user?: TestUser | null, body?: unknown) => Promise<[number, T]>;
  createEvent: (user: TestUser, fields?: Record<string, unknown>) => Promise<Event>;
}

export type ErrorReply = { error: { code: string; message: string; details?: Record<string, unknown> } };

export const inMinutes = (minutes: number) => new Date(Date.now() + minutes * 60_000).toISOString();

export function startHarness(ctx: TestContext): Harness {
  const config = loadConfig(ctx.env);
  const redis = createRedis(ctx.redisUrl, 'commands', 'events-test');
  const queues = new Queues(redis, ctx.redisPrefix);
  const app = createApp({
    config,
    db: ctx.db,
    redis,
    queues,
    logger: createLogger('silent', 'test'),
    currentSeq: async () => (await readRelayPosition(ctx.db)).emittedSeq,
    isDraining: () => false,
    isRelayLeader: () => false,
  });
  const json = async <T>(
    method: string,
    path: string,
    user?: TestUser | null,
    body?: unknown,
  ): Promise<[number, T]> => {
    const res = await app.request(`/api/v1${path}`, {
      method,
      headers: {
        ...(user ? bearer(user) : {}),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return [res.status, (text ? JSON.parse(text) : null) as T];
  };
  const createEvent = async (user: TestUser, fields: Record<string, unknown> = {}) => {
    const [status, event] = await json<Event>('POST', '/events', user, {
      title: 'Board games night',
      description: 'Bring your favourite game.',
      startsAt: inMinutes(120),
      endsAt: inMinutes(240),
      ...fields,
    });
    if (status !== 201) throw new Error(`POST /events answered ${status}: ${JSON.stringify(event)}`);
    return event;
  };
  return {
    app,
    config,
    queues,
    json,
    createEvent,
    close: async () => {
      await queues.close();
      await closeRedis(redis);
    },
  };
}
