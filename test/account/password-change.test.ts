// POST /me/password against two real server instances: the change is asked on A, and every other session
// dies on both (B has them cached, and holds a socket of one), while the session that asked lives on.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSession } from '../../server/auth/sessions.ts';
import { captcha } from '../helpers/captcha.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { bearer, createUser, TEST_PASSWORD } from '../helpers/factories.ts';
import { connectLive } from '../helpers/live.ts';
import { type PlazaProcess, startServer, startWorkers, stopAll } from '../helpers/processes.ts';
import { type SmtpSink, startSmtpSink } from '../helpers/smtp-sink.ts';
import { waitFor } from '../helpers/wait.ts';

let ctx: TestContext;
let a: PlazaProcess;
let b: PlazaProcess;
let workers: PlazaProcess;
let sink: SmtpSink;

const isLeader = async (p: PlazaProcess) =>
  ((await (await fetch(`${p.url}/health`)).json()) as { relayLeader: boolean }).relayLeader;

beforeAll(async () => {
  sink = await startSmtpSink();
  ctx = await createTestContext({ PUBLIC_URL: 'http://plaza.example' });
  a = await startServer(ctx.env, 'server-a');
  await waitFor(() => isLeader(a), { what: 'instance A to lead the relay' });
  b = await startServer(ctx.env, 'server-b');
  workers = await startWorkers({ ...ctx.env, SMTP_URL: sink.url }, ['email']);
});

afterAll(async () => {
  await stopAll([a, b, workers]);
  await sink?.close();
  await ctx?.close();
});

const NEW_PASSWORD = 'a brand new passphrase';

const changePassword = (server: PlazaProcess, token: string, body: unknown) =>
  fetch(`${server.url}/api/v1/me/password`, {
    method: 'POST',
    headers: { ...bearer({ token }), 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
const meStatus = async (server: PlazaProcess, token: string) =>
  (await fetch(`${server.url}/api/v1/me`, { headers: bearer({ token }) })).status;
const login = async (server: PlazaProcess, username: string, password: string) =>
  fetch(`${server.url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      login: username,
      password,
      captcha: await captcha((p) => fetch(`${server.url}${p}`)),
    }),
  });
const errorOf = async (res: Response) =>
  ((await res.json()) as { error: { code: string; message: string } }).error;

describe('POST /me/password', () => {
  it('revokes every other session on every instance, keeps this one, and emails the owner', async () => {
    const user = await createUser(ctx.db);
    const laptop = await createSession(ctx.db, user.id, 'laptop');
    const phone = await createSession(ctx.db, user.id, 'phone');
    // B validates (and caches) the sessions it will have to forget, and holds a socket of one.
    for (const token of [user.token, laptop.token, phone.token]) expect(await meStatus(b, token)).toBe(200);
    const socket = await connectLive({ url: b.url, token: laptop.token, topics: ['feed'] });
    const dropped: string[] = [];
    socket.live.socket.on('disconnect', (reason) => dropped.push(reason));

    const res = await changePassword(a, user.token, {
      currentPassword: TEST_PASSWORD,
      newPassword: NEW_PASSWORD,
    });
    expect(res.status).toBe(204);

    for (const server of [a, b]) {
      expect(await meStatus(server, laptop.token)).toBe(401);
      expect(await meStatus(server, phone.token)).toBe(401);
      expect(await meStatus(server, user.token)).toBe(200);
    }
    await waitFor(() => dropped.length > 0, { what: 'the revoked socket on B to drop' });
    expect(socket.raw.find((p) => p.type === 'session:revoked')?.data).toEqual({
      sessionId: laptop.sessionId,
    });
    socket.close();

    const mail = await sink.waitForMessage(user.email, (m) => /password was changed/.test(m.subject));
    expect(mail.text).toContain('every other device was signed out');
    expect(mail.text).toContain('http://plaza.example/settings#sessions');

    expect((await login(a, user.username, TEST_PASSWORD)).status).toBe(401);
    expect((await login(b, user.username, NEW_PASSWORD)).status).toBe(200);
    const log = await ctx.db
      .selectFrom('security_events')
      .select('type')
      .where('user_id', '=', user.id)
      .where('type', '=', 'password_changed')
      .execute();
    expect(log).toHaveLength(1);
  });

  it('refuses a wrong current password with 403, changing nothing', async () => {
    const user = await createUser(ctx.db);
    const other = await createSession(ctx.db, user.id, 'other');
    const res = await changePassword(a, user.token, {
      currentPassword: 'not my password',
      newPassword: NEW_PASSWORD,
    });
    expect(res.status).toBe(403);
    expect(await errorOf(res)).toMatchObject({ code: 'forbidden', message: 'The current password is wrong' });
    expect(await meStatus(b, other.token)).toBe(200);
    expect((await login(a, user.username, TEST_PASSWORD)).status).toBe(200);
  });

  it('applies the registration rules to the new password', async () => {
    const user = await createUser(ctx.db);
    for (const newPassword of ['short', 'x'.repeat(257)]) {
      const res = await changePassword(a, user.token, { currentPassword: TEST_PASSWORD, newPassword });
      expect(res.status).toBe(400);
      expect((await errorOf(res)).code).toBe('validation_failed');
    }
  });

  it('limits guesses of the current password like login does, a right one giving its try back', async () => {
    const user = await createUser(ctx.db);
    const wrong = () =>
      changePassword(a, user.token, { currentPassword: 'guess', newPassword: NEW_PASSWORD });
    for (let i = 0; i < 9; i += 1) expect((await wrong()).status).toBe(403);
    // The tenth try is right: it is not held against the account.
    expect(
      (await changePassword(a, user.token, { currentPassword: TEST_PASSWORD, newPassword: NEW_PASSWORD }))
        .status,
    ).toBe(204);
    expect((await wrong()).status).toBe(403);
    const limited = await wrong();
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    // Locked, even for the right password, until the block ends.
    expect(
      (await changePassword(a, user.token, { currentPassword: NEW_PASSWORD, newPassword: TEST_PASSWORD }))
        .status,
    ).toBe(429);
  });

  it('needs a session', async () => {
    const res = await fetch(`${a.url}/api/v1/me/password`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ currentPassword: TEST_PASSWORD, newPassword: NEW_PASSWORD }),
    });
    expect(res.status).toBe(401);
  });
});
