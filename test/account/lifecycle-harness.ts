// In-process app with a worker process running the `email` and `account` queues, and an SMTP sink.
import { type App, createApp } from '../../server/app.ts';
import { loadConfig } from '../../server/config.ts';
import { Queues } from '../../server/jobs/queues.ts';
import { createLogger } from '../../server/lib/logger.ts';
import { closeRedis, createRedis } from '../../server/lib/redis.ts';
import { readRelayPosition } from '../../server/realtime/event-log.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { type PlazaProcess, startWorkers } from '../helpers/processes.ts';
import { type SmtpSink, startSmtpSink } from '../helpers/smtp-sink.ts';

export interface LifecycleHarness {
  ctx: TestContext;
  app: App;
  sink: SmtpSink;
  workers: PlazaProcess;
  call: (method: string, path: string, body?: unknown, headers?: Record<string, string>) => Promise<Response>;
  close: () => Promise<void>;
}

export async function startLifecycleHarness(): Promise<LifecycleHarness> {
  const ctx = await createTestContext({ PUBLIC_URL: 'http://plaza.test' });
  const sink = await startSmtpSink();
  const workers = await startWorkers({ ...ctx.env, SMTP_URL: sink.url }, ['email', 'account', 'transfers']);
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
  const call: LifecycleHarness['call'] = (method, path, body, headers = {}) =>
    Promise.resolve(
      app.request(`/api/v1${path}`, {
        method,
        headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      }),
    );
  return {
    ctx,
    app,
    sink,
    workers,
    call,
    close: async () => {
      await workers.stop();
      await sink.close();
      await queues.close();
      await closeRedis(redis);
      await ctx.close();
    },
  };
}
