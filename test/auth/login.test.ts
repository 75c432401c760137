import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AuthHarness, errorCode, freshIp, json, PUBLIC_URL, startAuthHarness } from './auth-harness.ts';
import { bearerOf, PASSWORD, RESET_SUBJECT, registerUser, uniqueName, verifiedUser } from './users.ts';

let h: AuthHarness;

beforeAll(async () => {
  h = await startAuthHarness();
});

afterAll(async () => {
  await h?.close();
});

const login = async (loginName: string, password: string) =>
  h.call('POST', '/auth/login', { login: loginName, password, captcha: await h.captcha() });
const loginFrom = async (address: string, loginName: string, password: string) =>
  h.call(
    'POST',
    '/auth/login',
    { login: loginName, password, captcha: await h.captcha() },
    { 'x-forwarded-for': address },
  );

describe('password login', () => {
  it('signs in by username and by email in any case, with a cookie and a token', async () => {
    const user = await verifiedUser(h);
    for (const name of [user.username, user.email.toUpperCase()]) {
      const res = await login(name, PASSWORD);
      expect(res.status).toBe(200);
      const body = await json<{ user: { id: string; email: string }; token: string }>(res);
      expect(body.user).toMatchObject({ id: user.id, email: user.email });
      expect(res.headers.get('set-cookie')).toContain(`plaza_session=${body.token}`);
      expect((await h.call('GET', '/me', undefined, bearerOf(body))).status).toBe(200);
    }
  });

  it('gives an unknown user and a wrong password the same 401 answer', async () => {
    const user = await verifiedUser(h);
    const wrong = await login(user.username, 'not the password');
    const unknown = await login(uniqueName('nobody'), 'not the password');
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    const [a, b] = [await json(wrong), await json(unknown)];
    expect(a).toEqual(b);
    expect(a).toMatchObject({ error: { code: 'invalid_credentials' } });
  });

  it('spends comparable time on an unknown user (a dummy hash is verified)', async () => {
    const user = await verifiedUser(h);
    const time = async (name: string) => {
      const captcha = await h.captcha();
      const started = performance.now();
      const res = await h.call('POST', '/auth/login', { login: name, password: 'not the password', captcha });
      expect(res.status).toBe(401);
      return performance.now() - started;
    };
    // Warm up, then compare medians: argon2 (~12 ms) dominates both.
    await time(user.username);
    const known: number[] = [];
    const unknown: number[] = [];
    for (let i = 0; i < 5; i++) {
      known.push(await time(user.username));
      unknown.push(await time(uniqueName('nobody')));
    }
    const median = (xs: number[]) => xs.sort((x, y) => x - y)[2]!;
    // Without the dummy hash an unknown user would answer in ~1 ms against ~12+ ms.
    expect(median(unknown)).toBeGreaterThan(median(known) * 0.5);
  });

  it('refuses login before verification with 403 email_not_verified, only with the right password', async () => {
    const user = await registerUser(h);
    const res = await login(user.email, PASSWORD);
    expect(res.status).toBe(403);
    expect(await errorCode(res)).toBe('email_not_verified');
    expect(await errorCode(await login(user.email, 'not the password'))).toBe('invalid_credentials');
    expect(
      await h.ctx.db.selectFrom('sessions').select('id').where('user_id', '=', user.id).execute(),
    ).toHaveLength(0);
  });

  it('email_not_verified names the address to verify (the sign-in page links to /verify with it)', async () => {
    const user = await registerUser(h);
    const res = await login(user.username, PASSWORD);
    expect(res.status).toBe(403);
    const body = (await res.json()) as { error: { code: string; details?: { email?: string } } };
    expect(body.error).toMatchObject({ code: 'email_not_verified', details: { email: user.email } });
  });

  it('signs a suspended user in to a session that may only export, delete and sign out', async () => {
    const user = await verifiedUser(h);
    await h.ctx.db.updateTable('users').set({ suspended_at: new Date() }).where('id', '=', user.id).execute();
    const res = await login(user.username, PASSWORD);
    expect(res.status).toBe(200);
    const session = await json<{ token: string }>(res);
    expect((await h.call('GET', '/me', undefined, bearerOf(session))).status).toBe(200);
    expect((await h.call('GET', '/me/exports', undefined, bearerOf(session))).status).toBe(200);
    const refused = await h.call('POST', '/posts', { body: 'still here' }, bearerOf(session));
    expect(refused.status).toBe(403);
    const body = await json<{ error: { code: string; message: string } }>(refused);
    expect(body.error.code).toBe('forbidden');
    expect(body.error.message).toMatch(/suspended.*export.*delete.*\/settings/);
    // The session it had before is held to the same rule.
    expect((await h.call('GET', '/me', undefined, bearerOf(user))).status).toBe(200);
    expect((await h.call('GET', '/notifications', undefined, bearerOf(user))).status).toBe(403);
  });

  it('needs a CAPTCHA', async () => {
    const user = await verifiedUser(h);
    const res = await h.call('POST', '/auth/login', { login: user.username, password: PASSWORD });
    expect(await errorCode(res)).toBe('captcha_failed');
  });

  it('limits attempts per account from one network, whatever the address in it', async () => {
    const user = await verifiedUser(h);
    const statuses: number[] = [];
    for (let i = 0; i < 11; i++)
      statuses.push((await loginFrom(`198.51.100.${i + 1}`, user.username, 'not the password')).status);
    expect(statuses.slice(0, 10)).toEqual(Array(10).fill(401));
    expect(statuses[10]).toBe(429);
    const blocked = await loginFrom('198.51.100.99', user.username, PASSWORD);
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(800);
  });

  it('starts the per-account count again after a successful login', async () => {
    const user = await verifiedUser(h);
    const from = (i: number) => `198.51.101.${i + 1}`;
    for (let i = 0; i < 9; i++)
      expect((await loginFrom(from(i), user.username, 'not the password')).status).toBe(401);
    expect((await loginFrom(from(9), user.username, PASSWORD)).status).toBe(200);
    const statuses: number[] = [];
    for (let i = 10; i < 20; i++)
      statuses.push((await loginFrom(from(i), user.username, 'not the password')).status);
    expect(statuses).toEqual(Array(10).fill(401));
  });

  it('counts an account only once the CAPTCHA passed: failed CAPTCHAs lock nobody out', async () => {
    const user = await verifiedUser(h);
    for (let i = 0; i < 12; i++) {
      const res = await h.call('POST', '/auth/login', { login: user.username, password: 'x', captcha: 'x' });
      expect(await errorCode(res)).toBe('captcha_failed');
    }
    expect((await login(user.username, PASSWORD)).status).toBe(200);
  });

  it('takes a solved CAPTCHA once: used again, even at once, it is refused and counts against no account', async () => {
    const user = await verifiedUser(h);
    const headers = { 'x-forwarded-for': freshIp() };
    const captcha = await h.captcha();
    const body = { login: user.username, password: PASSWORD, captcha };
    expect((await h.call('POST', '/auth/login', body, headers)).status).toBe(200);
    // Replayed twelve times at once: more than the network's ten tries, none of them counted.
    const replays = await Promise.all(
      Array.from({ length: 12 }, () => h.call('POST', '/auth/login', { ...body, password: 'x' }, headers)),
    );
    for (const res of replays) expect(await errorCode(res)).toBe('captcha_failed');
    expect((await loginFrom(headers['x-forwarded-for'], user.username, PASSWORD)).status).toBe(200);
  });

  it('answers 429 to an address over its limit even with a good CAPTCHA', async () => {
    const headers = { 'x-forwarded-for': '192.0.2.78' };
    for (let i = 0; i < 30; i++) {
      await h.call('POST', '/auth/login', { login: uniqueName(), password: 'x', captcha: 'x' }, headers);
    }
    const user = await verifiedUser(h);
    const res = await h.call(
      'POST',
      '/auth/login',
      { login: user.username, password: PASSWORD, captcha: await h.captcha() },
      headers,
    );
    expect(res.status).toBe(429);
  });

  it('limits attempts per client address', async () => {
    const headers = { 'x-forwarded-for': '192.0.2.77' };
    const statuses: number[] = [];
    for (let i = 0; i < 31; i++) {
      const res = await h.call(
        'POST',
        '/auth/login',
        { login: uniqueName(), password: 'x', captcha: 'x' },
        headers,
      );
      statuses.push(res.status);
    }
    expect(statuses.slice(0, 30).every((s) => s === 400)).toBe(true); // captcha_failed, after counting
    expect(statuses[30]).toBe(429);
  });
});

describe('password reset', () => {
  it('answers 202 for an unknown email and sends nothing', async () => {
    const email = `${uniqueName('nobody')}@example.test`;
    const res = await h.call('POST', '/auth/password/forgot', { email, captcha: await h.captcha() });
    expect(res.status).toBe(202);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(h.sink.messages.some((m) => m.to.includes(email))).toBe(false);
  });

  it('emails a single-use link; the reset changes the password and revokes every session', async () => {
    const user = await verifiedUser(h);
    const second = await json<{ token: string }>(await login(user.username, PASSWORD));
    const res = await h.call('POST', '/auth/password/forgot', {
      email: user.email,
      captcha: await h.captcha(),
    });
    expect(res.status).toBe(202);
    const message = await h.nextEmail(user.email, RESET_SUBJECT);
    const link = /(\S+\/reset-password\?token=\S+)/.exec(message.text)?.[1];
    expect(link?.startsWith(`${PUBLIC_URL}/reset-password?token=`)).toBe(true);
    const token = new URL(link!).searchParams.get('token')!;
    const sessionIds = (
      await h.ctx.db.selectFrom('sessions').select('id').where('user_id', '=', user.id).execute()
    ).map((s) => s.id);
    expect(sessionIds).toHaveLength(2);

    const reset = await h.call('POST', '/auth/password/reset', { token, password: 'a brand new password' });
    expect(reset.status).toBe(204);
    for (const old of [user, second])
      expect((await h.call('GET', '/me', undefined, bearerOf(old))).status).toBe(401);
    expect(
      await h.ctx.db.selectFrom('sessions').select('id').where('user_id', '=', user.id).execute(),
    ).toHaveLength(0);
    const revoked = await h.ctx.db
      .selectFrom('event_log')
      .select('data')
      .where('type', '=', 'session:revoked')
      .execute();
    const revokedIds = revoked.map((r) => (r.data as { sessionId: string }).sessionId);
    expect(revokedIds).toEqual(expect.arrayContaining(sessionIds));

    expect(await errorCode(await login(user.username, PASSWORD))).toBe('invalid_credentials');
    expect((await login(user.username, 'a brand new password')).status).toBe(200);

    const again = await h.call('POST', '/auth/password/reset', { token, password: 'yet another password' });
    expect(again.status).toBe(400);
    expect(await errorCode(again)).toBe('invalid_code');
  });

  it('refuses a short new password and an unknown token', async () => {
    const short = await h.call('POST', '/auth/password/reset', { token: 'whatever', password: 'short' });
    expect(await errorCode(short)).toBe('validation_failed');
    const unknown = await h.call('POST', '/auth/password/reset', {
      token: 'a'.repeat(32),
      password: 'long enough pw',
    });
    expect(await errorCode(unknown)).toBe('invalid_code');
  });

  it('limits reset emails per address: the fourth in an hour is 429 with Retry-After', async () => {
    const email = `${uniqueName('many')}@example.test`;
    const statuses: number[] = [];
    let last: Response | null = null;
    for (let i = 0; i < 4; i++) {
      last = await h.call('POST', '/auth/password/forgot', { email, captcha: await h.captcha() });
      statuses.push(last.status);
    }
    expect(statuses).toEqual([202, 202, 202, 429]);
    expect(Number(last!.headers.get('retry-after'))).toBeGreaterThan(3000);
  });
});
