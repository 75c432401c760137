// A suspended account signs in (password or emailed code) to a session that may only read who it is,
// export its data, delete itself and sign out: everything else answers 403, and its sockets are refused
// at the handshake. A real server process, a worker building the archive, an SMTP sink for the code.
import { io } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SUSPENDED_MESSAGE } from '../../server/auth/suspended.ts';
import { captcha } from '../helpers/captcha.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { bearer, createUser, TEST_PASSWORD, type TestUser } from '../helpers/factories.ts';
import { type PlazaProcess, startServer, startWorkers, stopAll } from '../helpers/processes.ts';
import { type SmtpSink, startSmtpSink } from '../helpers/smtp-sink.ts';
import { waitFor } from '../helpers/wait.ts';

let ctx: TestContext;
let sink: SmtpSink;
let server: PlazaProcess;
let workers: PlazaProcess;
let moderator: TestUser;

beforeAll(async () => {
  ctx = await createTestContext();
  sink = await startSmtpSink();
  const env = { ...ctx.env, SMTP_URL: sink.url };
  [server, workers] = await Promise.all([startServer(env), startWorkers(env, ['email', 'account'])]);
  moderator = await createUser(ctx.db, { role: 'moderator' });
});

afterAll(async () => {
  await stopAll([server, workers]);
  await sink?.close();
  await ctx?.close();
});

type ApiError = { error: { code: string; message: string; details?: Record<string, unknown> } };

const call = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
  fetch(`${server.url}/api/v1${path}`, {
    method,
    redirect: 'manual',
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });

const solved = () => captcha((path) => fetch(`${server.url}${path}`));

async function suspend(user: TestUser): Promise<void> {
  const res = await call('POST', `/admin/users/${user.username}/suspend`, undefined, bearer(moderator));
  expect(res.status).toBe(204);
}

async function passwordLogin(user: TestUser): Promise<{ token: string }> {
  const res = await call('POST', '/auth/login', {
    login: user.username,
    password: TEST_PASSWORD,
    captcha: await solved(),
  });
  expect(res.status).toBe(200);
  return (await res.json()) as { token: string };
}

async function expectSuspendedRefusal(res: Response, what: string): Promise<void> {
  expect(res.status, what).toBe(403);
  const body = (await res.json()) as ApiError;
  expect(body.error, what).toMatchObject({
    code: 'forbidden',
    message: SUSPENDED_MESSAGE,
    details: { suspended: true, settings: '/settings' },
  });
}

describe('a suspended account', () => {
  it('signs in, exports, downloads and deletes; posting, commenting, transferring, following and sockets are refused', async () => {
    const ada = await createUser(ctx.db);
    const bob = await createUser(ctx.db);
    const bobPost = await call('POST', '/posts', { body: 'bob speaks' }, bearer(bob));
    expect(bobPost.status).toBe(201);
    const postId = ((await bobPost.json()) as { id: string }).id;

    await suspend(ada);
    // The suspension ended the sessions it had.
    expect((await call('GET', '/me', undefined, bearer(ada))).status).toBe(401);

    const session = await passwordLogin(ada);
    const me = await call('GET', '/me', undefined, bearer(session));
    expect(me.status).toBe(200);
    expect(((await me.json()) as { username: string }).username).toBe(ada.username);

    await expectSuspendedRefusal(
      await call('POST', '/posts', { body: 'still here' }, bearer(session)),
      'post',
    );
    await expectSuspendedRefusal(
      await call('POST', `/posts/${postId}/comments`, { body: 'me too' }, bearer(session)),
      'comment',
    );
    await expectSuspendedRefusal(
      await call(
        'POST',
        '/transfers',
        { to: bob.username, amountCents: 100, memo: 'x' },
        { ...bearer(session), 'idempotency-key': crypto.randomUUID() },
      ),
      'transfer',
    );
    await expectSuspendedRefusal(
      await call('POST', `/users/${bob.username}/follow`, undefined, bearer(session)),
      'follow',
    );
    // Reads beyond its own account are closed too: one rule, not a list of writes.
    await expectSuspendedRefusal(await call('GET', '/auth/sessions', undefined, bearer(session)), 'sessions');

    const socket = io(server.url, {
      transports: ['websocket'],
      auth: { token: session.token },
      reconnection: false,
    });
    const refused = await new Promise<Error>((resolve) => socket.on('connect_error', resolve));
    socket.close();
    expect(refused.message).toBe(SUSPENDED_MESSAGE);

    const exported = await call('POST', '/me/export', undefined, bearer(session));
    expect(exported.status).toBe(202);
    const { id } = (await exported.json()) as { id: string };
    await waitFor(
      async () => {
        const list = (await (await call('GET', '/me/exports', undefined, bearer(session))).json()) as Array<{
          id: string;
          status: string;
        }>;
        return list.find((e) => e.id === id)?.status === 'ready';
      },
      { what: 'the export to be built', timeoutMs: 30_000 },
    );
    const download = await call('GET', `/me/exports/${id}/download`, undefined, bearer(session));
    expect(download.status).toBe(302);
    expect(download.headers.get('location')).toBeTruthy();

    const deleted = await call('DELETE', '/me', { password: TEST_PASSWORD }, bearer(session));
    expect(deleted.status).toBe(202);
    expect((await call('GET', '/me', undefined, bearer(session))).status).toBe(401);
    const husk = await ctx.db
      .selectFrom('users')
      .select(['username', 'deleted_at'])
      .where('id', '=', ada.id)
      .executeTakeFirstOrThrow();
    expect(husk.deleted_at).not.toBeNull();
    expect(husk.username).toMatch(/^deleted-\d+$/);
  });

  it('signs in with an emailed code too, and logs out', async () => {
    const cy = await createUser(ctx.db);
    await suspend(cy);
    expect(
      (await call('POST', '/auth/login-code', { email: cy.email, captcha: await solved() })).status,
    ).toBe(202);
    const mail = await sink.waitForMessage(cy.email, (m) => /sign-in code/.test(m.subject), 30_000);
    const code = /(\d{6})/.exec(mail.subject)?.[1];
    expect(code).toBeTruthy();
    const verified = await call('POST', '/auth/login-code/verify', { email: cy.email, code });
    expect(verified.status).toBe(200);
    const session = (await verified.json()) as { token: string };
    expect((await call('GET', '/me', undefined, bearer(session))).status).toBe(200);
    await expectSuspendedRefusal(
      await call('GET', '/notifications', undefined, bearer(session)),
      'notifications',
    );
    expect((await call('POST', '/auth/logout', undefined, bearer(session))).status).toBe(204);
    expect((await call('GET', '/me', undefined, bearer(session))).status).toBe(401);
  });

  it('is refused the pages it cannot use with a page saying what it still can', async () => {
    const dee = await createUser(ctx.db);
    await suspend(dee);
    const session = await passwordLogin(dee);
    const page = (path: string) =>
      fetch(`${server.url}${path}`, {
        redirect: 'manual',
        headers: { cookie: `plaza_session=${session.token}`, accept: 'text/html' },
      });
    const feed = await page('/');
    expect(feed.status).toBe(403);
    const html = await feed.text();
    expect(html).toContain('suspended');
    expect(html).toContain('href="/settings#export"');
    // The top bar offers only what answers: settings and signing out, not pages that would refuse too.
    const topBar = (text: string) => /<header class="topbar">[\s\S]*?<\/header>/.exec(text)?.[0] ?? '';
    for (const refused of [
      'href="/"',
      'href="/home"',
      'href="/events"',
      'href="/wallet"',
      'href="/notifications"',
    ]) {
      expect(topBar(html)).not.toContain(refused);
    }
    expect(topBar(html)).toContain('href="/settings"');
    expect(topBar(html)).toContain('action="/logout"');
    const settings = await page('/settings');
    expect(settings.status).toBe(200);
    const settingsHtml = await settings.text();
    expect(settingsHtml).toContain('id="export"');
    expect(settingsHtml).toContain('id="delete-account"');
    // Only what it may use: no password, email or sessions sections.
    expect(settingsHtml).not.toContain('id="sessions"');
    expect(topBar(settingsHtml)).not.toContain('href="/wallet"');
    // Deletion's refusals are said as what a suspended account can do about them: nothing itself.
    expect(settingsHtml).toContain('id="suspended-refusals"');
    expect(settingsHtml).not.toContain('send or spend it first');
  });
});
