// In-process app for account tests, plus a worker process and an SMTP sink so emails really go out.
import { type App, createApp } from '../../server/app.ts';
import { loadConfig } from '../../server/config.ts';
import { Queues } from '../../server/jobs/queues.ts';
import { createLogger } from '../../server/lib/logger.ts';
import { closeRedis, createRedis } from '../../server/lib/redis.ts';
import { readRelayPosition } from '../../server/realtime/event-log.ts';
import { captcha } from '../helpers/captcha.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { type PlazaProcess, startWorkers } from '../helpers/processes.ts';
import { type SinkMessage, type SmtpSink, startSmtpSink } from '../helpers/smtp-sink.ts';

export const PUBLIC_URL = 'http://plaza.test';

export interface AuthHarness {
  ctx: TestContext;
  app: App;
  sink: SmtpSink;
  workers: PlazaProcess;
  /** JSON request from a fresh client address (so per-address limits of one test don't hit another). */
  call: (method: string, path: string, body?: unknown, headers?: Record<string, string>) => Promise<Response>;
  captcha: () => Promise<string>;
  /** The next email to `to` with a matching subject that no earlier call returned. */
  nextEmail: (to: string, subject: RegExp) => Promise<SinkMessage>;
  close: () => Promise<void>;
}

let addressCounter = 0;
export const freshIp = () => {
  addressCounter += 1;
  return `10.${(process.pid >> 8) & 255}.${(addressCounter >> 8) & 255}.${addressCounter & 255}`;
};

export async function startAuthHarness(): Promise<AuthHarness> {
  const ctx = await createTestContext({ TRUST_PROXY: 'true', PUBLIC_URL });
  const sink = await startSmtpSink();
  const workers = await startWorkers({ ...ctx.env, SMTP_URL: sink.url }, ['email']);
  const redis = createRedis(ctx.redisUrl, 'commands', 'test');
  const queues = new Queues(redis, ctx.redisPrefix);
  const app = createApp({
    config: loadConfig(ctx.env),
    db: ctx.db,
    redis,
    queues,
    logger: createLogger('silent', 'test'),
    currentSeq: async () => (await readRelayPosition(ctx.db)).emittedSeq,
    isDraining: () => false,
    isRelayLeader: () => false,
  });
  const read = new Set<SinkMessage>();
  const call: AuthHarness['call'] = (method, path, body, headers = {}) =>
    Promise.resolve(
      app.request(`/api/v1${path}`, {
        method,
        headers: {
          'x-forwarded-for': freshIp(),
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...headers,
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      }),
    );
  return {
    ctx,
    app,
    sink,
    workers,
    call,
    captcha: () => captcha((path) => app.request(path)),
    nextEmail: (to, subject) =>
      sink
        .waitForMessage(to, (m) => subject.test(m.subject) && !read.has(m))
        .then((m) => {
          read.add(m);
          return m;
        }),
    close: async () => {
      await workers.stop();
      await sink.close();
      await queues.close();
      await closeRedis(redis);
      await ctx.close();
    },
  };
}

export const json = async <T = Record<string, unknown>>(res: Response): Promise<T> => (await res.json()) as T;
export const errorCode = async (res: Response): Promise<string> =>
  ((await res.json()) as { error: { code: string } }).error.code;

/** The 6-digit code in an email. */
export function codeIn(message: SinkMessage): string {
  const match = /\b(\d{6})\b/.exec(message.text);
  if (!match) throw new Error(`no code in "${message.subject}"`);
  return match[1]!;
}
