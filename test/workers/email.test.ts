import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Queues } from '../../server/jobs/queues.ts';
import { closeRedis, createRedis } from '../../server/lib/redis.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { type PlazaProcess, startWorkers, stopAll } from '../helpers/processes.ts';
import { type SmtpSink, startSmtpSink } from '../helpers/smtp-sink.ts';

let ctx: TestContext;
let sink: SmtpSink;
let workers: PlazaProcess;
let queues: Queues;
let redis: ReturnType<typeof createRedis>;

beforeAll(async () => {
  ctx = await createTestContext();
  sink = await startSmtpSink();
  workers = await startWorkers({ ...ctx.env, SMTP_URL: sink.url, MAIL_FROM: 'Plaza <plaza@example.test>' });
  redis = createRedis(ctx.redisUrl, 'commands', 'test');
  queues = new Queues(redis, ctx.redisPrefix);
});

afterAll(async () => {
  await queues.close();
  await closeRedis(redis);
  await stopAll([workers]);
  await sink.close();
  await ctx.close();
});

describe('email worker', () => {
  it('delivers an email job to the SMTP server', async () => {
    await queues.add('email', { to: 'ada@example.test', subject: 'Hello Ada', text: 'Your code is 123456' });
    const message = await sink.waitForMessage('ada@example.test');
    expect(message.subject).toBe('Hello Ada');
    expect(message.text).toContain('123456');
  });

  it('stops on SIGTERM with exit code 0', async () => {
    expect(await workers.stop('SIGTERM')).toEqual({ code: 0, signal: null });
  });
});
