// In-process app for event and notification route tests: the real app over the test context's database and Redis.
import type { Event } from '@plaza/client/protocol';
import type { App } from '../../server/app.ts';
import type { Config } from '../../server/config.ts';
import type { Queues } from '../../server/jobs/queues.ts';
import type { TestContext } from '../helpers/context.ts';
import { bearer, type TestUser } from '../helpers/factories.ts';
import { createInProcessApp } from '../helpers/in-process-app.ts';

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
  const { app, deps, close } = createInProcessApp(ctx);
  const { config, queues } = deps;
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
    close,
  };
}
