// Guessing against two real server instances: the cooldown, the code's try counter and the lockout are shared,
// and a lockout leaves a line in the server's log.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeRedis, createRedis } from '../../server/lib/redis.ts';
import { captcha } from '../helpers/captcha.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { type PlazaProcess, startServer, startWorkers, stopAll } from '../helpers/processes.ts';
import { type SmtpSink, startSmtpSink } from '../helpers/smtp-sink.ts';
import { codeIn } from './auth-harness.ts';
import { uniqueName, VERIFY_SUBJECT } from './users.ts';

let ctx: TestContext;
let servers: PlazaProcess[];
let workers: PlazaProcess;
let sink: SmtpSink;
let redis: ReturnType<typeof createRedis>;

beforeAll(async () => {
  sink = await startSmtpSink();
  ctx = await createTestContext({ TRUST_PROXY: 'true' });
  servers = await Promise.all([startServer(ctx.env, 'server-a'), startServer(ctx.env, 'server-b')]);
  workers = await startWorkers({ ...ctx.env, SMTP_URL: sink.url }, ['email']);
  redis = createRedis(ctx.redisUrl, 'commands', 'test-guessing-instances');
});

afterAll(async () => {
  await closeRedis(redis);
  await stopAll([...(servers ?? []), workers]);
  await sink?.close();
  await ctx?.close();
});

/** A POST to instance `n % 2`, from client address `from`. */
const post = (n: number, path: string, body: unknown, from: string) =>
  fetch(`${servers[n % 2]!.url}/api/v1${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-forwarded-for': from },
    body: JSON.stringify(body),
  });

const solve = () => captcha((path) => fetch(`${servers[0]!.url}${path}`));

const PASSWORD = 'a long enough password';

async function register(): Promise<{ email: string; username: string; code: string }> {
  const username = uniqueName('guess');
  const email = `${username}@example.test`;
  const res = await post(
    0,
    '/auth/register',
    { email, username, password: PASSWORD, captcha: await solve() },
    '192.0.2.1',
  );
  expect(res.status).toBe(201);
  return {
    email,
    username,
    code: codeIn(await sink.waitForMessage(email, (m) => VERIFY_SUBJECT.test(m.subject))),
  };
}

const guess = (code: string, n: number) => String((Number(code) + 1 + n) % 1_000_000).padStart(6, '0');

describe('guessing across instances', () => {
  it('a burst split over two instances and 50 addresses is cut at the second wrong code; the code dies after 5', async () => {
    const user = await register();
    let n = 0;
    for (let round = 0; round < 3; round++) {
      const statuses = await Promise.all(
        Array.from({ length: 50 }, (_, i) => {
          const from = i % 2 ? `2001:db8:${round}:${i}::1` : `203.0.${round}.${i}`;
          return post(i, '/auth/verify-email', { email: user.email, code: guess(user.code, n++) }, from).then(
            (r) => r.status,
          );
        }),
      );
      expect(statuses.filter((s) => s === 400).length).toBeLessThanOrEqual(2);
      expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(48);
      // As if the cooldown were over: only the code's own counter is left to stop the next round.
      await redis.del(
        `${ctx.redisPrefix}:code:failures:${user.email}`,
        `${ctx.redisPrefix}:code:lock:${user.email}`,
      );
    }
    const right = await post(1, '/auth/verify-email', { email: user.email, code: user.code }, '192.0.2.2');
    expect(right.status).toBe(400);
    const row = await ctx.db
      .selectFrom('one_time_codes')
      .innerJoin('users', 'users.id', 'one_time_codes.user_id')
      .select('one_time_codes.attempts')
      .where('users.email', '=', user.email)
      .executeTakeFirstOrThrow();
    expect(row.attempts).toBe(5);
  });

  it('a lockout from one network is logged and leaves the owner on another network alone', async () => {
    const user = await register();
    const verified = await post(0, '/auth/verify-email', { email: user.email, code: user.code }, '192.0.2.3');
    expect(verified.status).toBe(200);
    const statuses: number[] = [];
    for (let i = 0; i < 11; i++) {
      const res = await post(
        i,
        '/auth/login',
        { login: user.username, password: 'wrong', captcha: await solve() },
        `198.18.7.${i + 1}`,
      );
      statuses.push(res.status);
    }
    expect(statuses).toEqual([...Array(10).fill(401), 429]);
    // The 11th (index 10) went to the first instance: it logs the lock.
    const line = await servers[0]!.waitForLog((l) => l.securityEvent === 'password_login_locked');
    expect(line).toMatchObject({ limit: 'loginPerAccountNetwork', key: `198.18.7.0/24 ${user.username}` });
    const owner = await post(
      1,
      '/auth/login',
      { login: user.username, password: PASSWORD, captcha: await solve() },
      '192.0.2.4',
    );
    expect(owner.status).toBe(200);
  });
});
