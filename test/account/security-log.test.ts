// GET /me/security and sign-in alerts, through the real routes with a worker sending emails to an SMTP sink.
// Client addresses come from X-Forwarded-For (TRUST_PROXY): the harness's own addresses share one /16.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AuthHarness, errorCode, freshIp, json, startAuthHarness } from '../auth/auth-harness.ts';
import { bearerOf, PASSWORD, verifiedUser } from '../auth/users.ts';
import { createUser } from '../helpers/factories.ts';
import { waitFor } from '../helpers/wait.ts';

let h: AuthHarness;

beforeAll(async () => {
  h = await startAuthHarness();
});

afterAll(async () => {
  await h?.close();
});

interface Entry {
  type: string;
  at: string;
  ip: string;
  userAgent: string;
}

const ALERT_SUBJECT = /New sign-in/;

async function login(
  login: string,
  ip: string,
  userAgent = 'Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0',
  password = PASSWORD,
) {
  return h.call(
    'POST',
    '/auth/login',
    { login, password, captcha: await h.captcha() },
    { 'x-forwarded-for': ip, 'user-agent': userAgent },
  );
}

const logOf = async (token: { token: string }, query = '') => {
  const res = await h.call('GET', `/me/security${query}`, undefined, bearerOf(token));
  expect(res.status).toBe(200);
  return json<{ items: Entry[]; nextCursor: string | null }>(res);
};

const alertsOf = (userId: string) =>
  h.ctx.db
    .selectFrom('notifications')
    .select(['title', 'body', 'url'])
    .where('user_id', '=', userId)
    .where('type', '=', 'new_sign_in')
    .execute();

describe('the security log', () => {
  it('lists sign-ins, failed ones, revocations and resets newest first, with address and user agent', async () => {
    const user = await verifiedUser(h);
    const wrong = await login(user.username, '10.99.1.1', 'Guesser/1.0', 'not the password');
    expect(wrong.status).toBe(401);
    const phone = await login(user.email, '10.99.2.2', 'Phone/2.0');
    expect(phone.status).toBe(200);
    const { token } = await json<{ token: string }>(phone);
    const revoke = await h.call('DELETE', `/auth/sessions/${token.split('.')[0]}`, undefined, {
      ...bearerOf(user),
      'x-forwarded-for': '10.99.3.3',
      'user-agent': 'Laptop/3.0',
    });
    expect(revoke.status).toBe(204);

    const { items } = await logOf(user);
    expect(items.map((e) => [e.type, e.ip, e.userAgent])).toEqual([
      ['session_revoked', '10.99.3.3', 'Laptop/3.0'],
      ['login', '10.99.2.2', 'Phone/2.0'],
      ['login_failed', '10.99.1.1', 'Guesser/1.0'],
      // The verification code signed the new account in: its first sign-in.
      ['login_code', expect.any(String), ''],
    ]);
    const times = items.map((e) => Date.parse(e.at));
    expect([...times].sort((a, b) => b - a)).toEqual(times);
  });

  it('pages with a cursor, and shows nobody else’s entries', async () => {
    const user = await verifiedUser(h);
    const other = await verifiedUser(h);
    for (const ip of ['10.98.0.1', '10.98.0.2', '10.98.0.3'])
      expect((await login(user.username, ip)).status).toBe(200);
    const first = await logOf(user, '?limit=2');
    expect(first.items.map((e) => e.ip)).toEqual(['10.98.0.3', '10.98.0.2']);
    expect(first.nextCursor).not.toBeNull();
    const second = await logOf(user, `?limit=2&cursor=${first.nextCursor}`);
    expect(second.items.map((e) => e.type)).toEqual(['login', 'login_code']);
    expect(second.items[0]!.ip).toBe('10.98.0.1');
    expect(second.nextCursor).toBeNull();
    expect((await logOf(other)).items).toHaveLength(1);
  });

  it('records a password reset, and needs a session', async () => {
    const user = await verifiedUser(h);
    expect(
      (await h.call('POST', '/auth/password/forgot', { email: user.email, captcha: await h.captcha() }))
        .status,
    ).toBe(202);
    const mail = await h.nextEmail(user.email, /Reset your Plaza password/);
    const token = /token=([a-z0-9]+)/.exec(mail.text)![1]!;
    const reset = await h.call(
      'POST',
      '/auth/password/reset',
      { token, password: 'another long password' },
      {
        'x-forwarded-for': '10.97.0.9',
        'user-agent': 'Resetter',
      },
    );
    expect(reset.status).toBe(204);
    const again = await login(user.username, '10.97.0.10', 'After', 'another long password');
    expect(again.status).toBe(200);
    const { items } = await logOf(await json<{ token: string }>(again));
    expect(items.slice(0, 2).map((e) => [e.type, e.ip, e.userAgent])).toEqual([
      ['login', '10.97.0.10', 'After'],
      ['password_reset', '10.97.0.9', 'Resetter'],
    ]);
    expect((await h.call('GET', '/me/security')).status).toBe(401);
    expect(await errorCode(await h.call('GET', '/me/security'))).toBe('unauthenticated');
  });
});

describe('sign-in alerts', () => {
  it('alerts once for a new /16, not for a known one, not for the first sign-in', async () => {
    // The verification (first sign-in) came from the harness's /16.
    const user = await verifiedUser(h);
    expect((await login(user.username, freshIp())).status).toBe(200);
    expect(await alertsOf(user.id)).toEqual([]);

    const fromAbroad = await login(
      user.username,
      '172.20.5.6',
      'Mozilla/5.0 (iPhone; CPU iPhone OS 18_0) Safari/604.1',
    );
    expect(fromAbroad.status).toBe(200);
    const mail = await h.nextEmail(user.email, ALERT_SUBJECT);
    expect(mail.text).toContain('172.20.0.0/16');
    expect(mail.text).toContain('Safari on iPhone');
    expect(mail.text).toContain('http://plaza.test/settings#sessions');
    expect(mail.text).toMatch(/When: \w{3}, \d{2} \w{3} \d{4}/);
    const alerts = await alertsOf(user.id);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ url: '/settings#sessions' });
    expect(alerts[0]!.body).toContain('172.20.0.0/16');

    // Same /16, another address: known now.
    expect((await login(user.username, '172.20.200.1')).status).toBe(200);
    // A failed try from a new network is no sign-in, and makes the network no more known.
    expect((await login(user.username, '192.168.1.1', 'x', 'wrong password')).status).toBe(401);
    expect((await login(user.username, '192.168.7.7')).status).toBe(200);
    await h.nextEmail(user.email, ALERT_SUBJECT);
    expect(await alertsOf(user.id)).toHaveLength(2);
    expect(
      h.sink.messages.filter((m) => m.to.includes(user.email) && ALERT_SUBJECT.test(m.subject)),
    ).toHaveLength(2);
  });

  it('writes one session and one log entry per sign-in, whether it alerts (a transaction) or not (one statement)', async () => {
    const user = await verifiedUser(h);
    const written = async () => ({
      sessions: (await h.ctx.db.selectFrom('sessions').select('id').where('user_id', '=', user.id).execute())
        .length,
      signIns: (
        await h.ctx.db
          .selectFrom('security_events')
          .select('id')
          .where('user_id', '=', user.id)
          .where('type', '=', 'login')
          .execute()
      ).length,
    });
    const before = await written();
    const quiet = await login(user.username, freshIp());
    expect(quiet.status).toBe(200);
    expect(await written()).toEqual({ sessions: before.sessions + 1, signIns: before.signIns + 1 });
    const alerted = await login(user.username, '172.21.0.9');
    expect(alerted.status).toBe(200);
    await h.nextEmail(user.email, ALERT_SUBJECT);
    expect(await written()).toEqual({ sessions: before.sessions + 2, signIns: before.signIns + 2 });
    // Both answers carry a working session and the user's own Me, follow counts included.
    for (const res of [quiet, alerted]) {
      const body = await json<{ token: string; user: Record<string, unknown> }>(res);
      expect(body.user).toMatchObject({
        id: user.id,
        followerCount: 0,
        followingCount: 0,
        followedByMe: false,
      });
      expect((await h.call('GET', '/me', undefined, bearerOf(body))).status).toBe(200);
    }
  });

  it('compares IPv6 sign-ins by /48', async () => {
    const user = await verifiedUser(h);
    expect((await login(user.username, '2001:db8:aa:1::1')).status).toBe(200);
    await h.nextEmail(user.email, ALERT_SUBJECT);
    expect((await login(user.username, '2001:db8:aa:ffff::2')).status).toBe(200);
    expect((await login(user.username, '2001:db8:ab::3')).status).toBe(200);
    const second = await h.nextEmail(user.email, ALERT_SUBJECT);
    expect(second.text).toContain('2001:db8:ab::/48');
    expect(await alertsOf(user.id)).toHaveLength(2);
  });

  it('does not alert on the very first sign-in, wherever it comes from', async () => {
    // Made in the database: no sign-in in its log yet.
    const user = await createUser(h.ctx.db);
    const first = await h.call(
      'POST',
      '/auth/login',
      { login: user.username, password: 'correct horse battery', captcha: await h.captcha() },
      { 'x-forwarded-for': '203.0.113.5' },
    );
    expect(first.status).toBe(200);
    // Then a second account's alert goes through the same queue: once it is in, the first had its turn.
    const witness = await verifiedUser(h);
    expect((await login(witness.username, '198.51.100.1')).status).toBe(200);
    await h.nextEmail(witness.email, ALERT_SUBJECT);
    expect(await alertsOf(user.id)).toEqual([]);
    expect(h.sink.messages.filter((m) => m.to.includes(user.email))).toEqual([]);
    await waitFor(async () => (await alertsOf(witness.id)).length === 1, { what: 'the witness alert' });
  });
});
