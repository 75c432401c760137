// The whole account journey as a person makes it, against real processes: server, email worker, SMTP sink.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { captcha } from '../helpers/captcha.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { type PlazaProcess, startServer, startWorkers, stopAll } from '../helpers/processes.ts';
import { type SmtpSink, startSmtpSink } from '../helpers/smtp-sink.ts';
import { codeIn } from './auth-harness.ts';
import { LOGIN_SUBJECT, RESET_SUBJECT, uniqueName, VERIFY_SUBJECT } from './users.ts';

let ctx: TestContext;
let server: PlazaProcess;
let workers: PlazaProcess;
let sink: SmtpSink;

beforeAll(async () => {
  sink = await startSmtpSink();
  ctx = await createTestContext({ PUBLIC_URL: 'http://plaza.example' });
  server = await startServer(ctx.env);
  workers = await startWorkers({ ...ctx.env, SMTP_URL: sink.url }, ['email']);
});

afterAll(async () => {
  await stopAll([server, workers]);
  await sink.close();
  await ctx.close();
});

async function api<T = Record<string, unknown>>(
  method: string,
  path: string,
  body?: unknown,
  token?: string,
) {
  const res = await fetch(`${server.url}/api/v1${path}`, {
    method,
    headers: {
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : null) as T, headers: res.headers };
}

const solve = () => captcha((path) => fetch(`${server.url}${path}`));

describe('a new user', () => {
  it('registers, verifies from the email, logs in both ways, manages sessions and resets the password', async () => {
    const username = uniqueName('grace');
    const email = `${username}@example.test`;
    const password = 'my first password';

    const registered = await api('POST', '/auth/register', {
      email,
      username,
      password,
      captcha: await solve(),
    });
    expect(registered.status).toBe(201);

    const verifyCode = codeIn(await sink.waitForMessage(email, (m) => VERIFY_SUBJECT.test(m.subject)));
    const verified = await api<{ token: string; user: { emailVerified: boolean } }>(
      'POST',
      '/auth/verify-email',
      {
        email,
        code: verifyCode,
      },
    );
    expect(verified.status).toBe(200);
    expect(verified.body.user.emailVerified).toBe(true);

    const byPassword = await api<{ token: string }>('POST', '/auth/login', {
      login: username,
      password,
      captcha: await solve(),
    });
    expect(byPassword.status).toBe(200);

    expect((await api('POST', '/auth/login-code', { email, captcha: await solve() })).status).toBe(202);
    const loginCode = codeIn(await sink.waitForMessage(email, (m) => LOGIN_SUBJECT.test(m.subject)));
    const byCode = await api<{ token: string }>('POST', '/auth/login-code/verify', {
      email,
      code: loginCode,
    });
    expect(byCode.status).toBe(200);

    const listed = await api<{ items: Array<{ id: string; current: boolean }> }>(
      'GET',
      '/auth/sessions',
      undefined,
      byCode.body.token,
    );
    expect(listed.body.items).toHaveLength(3);
    const passwordSession = byPassword.body.token.split('.')[0]!;
    expect(
      (await api('DELETE', `/auth/sessions/${passwordSession}`, undefined, byCode.body.token)).status,
    ).toBe(204);
    expect((await api('GET', '/me', undefined, byPassword.body.token)).status).toBe(401);
    const after = await api<{ items: Array<{ id: string }> }>(
      'GET',
      '/auth/sessions',
      undefined,
      byCode.body.token,
    );
    expect(after.body.items.map((s) => s.id)).not.toContain(passwordSession);

    expect((await api('POST', '/auth/password/forgot', { email, captcha: await solve() })).status).toBe(202);
    const resetMail = await sink.waitForMessage(email, (m) => RESET_SUBJECT.test(m.subject));
    const link = new URL(/(http:\/\/plaza\.example\/reset-password\?token=\S+)/.exec(resetMail.text)![1]!);
    const reset = await api('POST', '/auth/password/reset', {
      token: link.searchParams.get('token'),
      password: 'my second password',
    });
    expect(reset.status).toBe(204);
    for (const old of [verified.body.token, byCode.body.token]) {
      expect((await api('GET', '/me', undefined, old)).status).toBe(401);
    }
    const again = await api<{ token: string }>('POST', '/auth/login', {
      login: email,
      password: 'my second password',
      captcha: await solve(),
    });
    expect(again.status).toBe(200);
    const me = await api<{ username: string; emailVerified: boolean }>(
      'GET',
      '/me',
      undefined,
      again.body.token,
    );
    expect(me.body).toMatchObject({ username, emailVerified: true });
  });
});
