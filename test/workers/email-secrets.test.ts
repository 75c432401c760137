// Sign-in codes and reset links never rest in clear where a queue dashboard or a log reader could see them.
import { createServer } from 'node:net';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type App, createApp } from '../../server/app.ts';
import { loadConfig } from '../../server/config.ts';
import { Queues } from '../../server/jobs/queues.ts';
import { createLogger } from '../../server/lib/logger.ts';
import { closeRedis, createRedis } from '../../server/lib/redis.ts';
import { readRelayPosition } from '../../server/realtime/event-log.ts';
import { createMailer } from '../../workers/mailer.ts';
import { codeIn } from '../auth/auth-harness.ts';
import { captcha } from '../helpers/captcha.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { createUser } from '../helpers/factories.ts';
import { type PlazaProcess, startWorkers, stopAll } from '../helpers/processes.ts';
import { type SmtpSink, startSmtpSink } from '../helpers/smtp-sink.ts';
import { waitFor } from '../helpers/wait.ts';

let ctx: TestContext;
let sink: SmtpSink;
let redis: ReturnType<typeof createRedis>;
let queues: Queues;
let app: App;
const processes: PlazaProcess[] = [];

beforeAll(async () => {
  ctx = await createTestContext({ PUBLIC_URL: 'http://plaza.test' });
  sink = await startSmtpSink();
  redis = createRedis(ctx.redisUrl, 'commands', 'test');
  queues = new Queues(redis, ctx.redisPrefix);
  app = createApp({
    config: loadConfig(ctx.env),
    db: ctx.db,
    redis,
    queues,
    logger: createLogger('silent', 'test'),
    currentSeq: async () => (await readRelayPosition(ctx.db)).emittedSeq,
    isDraining: () => false,
    isRelayLeader: () => false,
  });
});

afterAll(async () => {
  await stopAll(processes);
  await queues?.close();
  await closeRedis(redis);
  await sink?.close();
  await ctx?.close();
});

const post = async (path: string, body: unknown) =>
  app.request(`/api/v1${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

/** A port nothing listens on: an SMTP server that is down. */
async function deadPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Everything Redis holds for this deployment's queues, as text: what any dashboard could show. */
async function queueStorage(): Promise<string> {
  const keys = await redis.keys(`${ctx.redisPrefix}:bull:*`);
  const parts: unknown[] = [];
  for (const key of keys) {
    const type = await redis.type(key);
    if (type === 'string') parts.push(await redis.get(key));
    else if (type === 'hash') parts.push(await redis.hgetall(key));
    else if (type === 'list') parts.push(await redis.lrange(key, 0, -1));
    else if (type === 'set') parts.push(await redis.smembers(key));
    else if (type === 'zset') parts.push(await redis.zrange(key, 0, -1));
    else if (type === 'stream') parts.push(await redis.xrange(key, '-', '+'));
  }
  return JSON.stringify(parts);
}

describe('secrets in email jobs', () => {
  it('are readable from no job in any state, nor the logs, and delivered jobs are removed', async () => {
    processes.push(
      await startWorkers({ ...ctx.env, SMTP_URL: `smtp://127.0.0.1:${await deadPort()}` }, ['email']),
    );
    const solve = () => captcha((path) => app.request(path));
    const newcomer = `newcomer_${Date.now().toString(36)}`;
    const member = await createUser(ctx.db);
    expect(
      (
        await post('/auth/register', {
          email: `${newcomer}@example.test`,
          username: newcomer,
          password: 'a long enough password',
          captcha: await solve(),
        })
      ).status,
    ).toBe(201);
    expect((await post('/auth/login-code', { email: member.email, captcha: await solve() })).status).toBe(
      202,
    );
    expect(
      (await post('/auth/password/forgot', { email: member.email, captcha: await solve() })).status,
    ).toBe(202);

    // Every delivery failed once: the jobs wait for their retry, as failed jobs wait for someone to look.
    const email = queues.get('email');
    await waitFor(
      async () => {
        const jobs = await email.getJobs(['delayed', 'failed']);
        return jobs.length === 3 && jobs.every((job) => job.attemptsMade >= 1);
      },
      { timeoutMs: 20_000, what: 'three failed deliveries' },
    );
    const whileFailing = await queueStorage();
    const failingWorker = processes[0]!;
    await failingWorker.stop();

    processes.push(await startWorkers({ ...ctx.env, SMTP_URL: sink.url }, ['email']));
    const verification = await sink.waitForMessage(`${newcomer}@example.test`, undefined, 20_000);
    const login = await sink.waitForMessage(member.email, (m) => /sign-in code/.test(m.subject), 20_000);
    const reset = await sink.waitForMessage(member.email, (m) => /Reset/.test(m.subject), 20_000);
    const resetLink = /https?:\/\/\S+/.exec(reset.text)![0];
    const secrets = [codeIn(verification), codeIn(login), new URL(resetLink).searchParams.get('token')!];

    await waitFor(
      async () => {
        const counts = await email.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
        return Object.values(counts).every((n) => n === 0);
      },
      { what: 'the email queue drained' },
    );
    const afterDelivery = await queueStorage();
    const jobs = JSON.stringify(await email.getJobs(['completed', 'failed', 'delayed', 'waiting', 'active']));
    const logs = JSON.stringify([failingWorker.logs, failingWorker.stderr, processes[1]!.logs]);
    for (const secret of secrets) {
      expect(whileFailing).not.toContain(secret);
      expect(afterDelivery).not.toContain(secret);
      expect(jobs).not.toContain(secret);
      expect(logs).not.toContain(secret);
    }
    expect(await email.getJobs(['completed'])).toHaveLength(0);
  });

  it('are not written to the log by the mailer without SMTP in production', async () => {
    const lines: string[] = [];
    const logger = pino(
      { level: 'info' },
      new Writable({
        write(chunk, _encoding, done) {
          lines.push(String(chunk));
          done();
        },
      }),
    );
    const mailer = createMailer(undefined, 'Plaza <plaza@example.test>', logger, 'production');
    await mailer.send({
      to: 'ada@example.test',
      subject: 'Your Plaza sign-in code: 314159',
      text: 'Code 314159',
    });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('ada@example.test');
    expect(lines[0]).not.toContain('314159');
  });
});
