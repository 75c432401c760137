import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashCode, replaceCode } from '../../server/auth/codes.repository.ts';
import { closeRedis, createRedis } from '../../server/lib/redis.ts';
import { type AuthHarness, codeIn, errorCode, json, startAuthHarness } from './auth-harness.ts';
import { bearerOf, LOGIN_SUBJECT, registerUser, uniqueName, VERIFY_SUBJECT, verifiedUser } from './users.ts';

let h: AuthHarness;

beforeAll(async () => {
  h = await startAuthHarness();
});

afterAll(async () => {
  await h?.close();
});

/** A 6-digit code that is not `code`. */
const otherThan = (code: string) => String((Number(code) + 1) % 1_000_000).padStart(6, '0');

describe('email verification', () => {
  it('verifies with the emailed code: signed in by body token and an HttpOnly SameSite=Lax cookie', async () => {
    const user = await registerUser(h);
    const code = codeIn(await h.nextEmail(user.email, VERIFY_SUBJECT));
    const res = await h.call('POST', '/auth/verify-email', { email: user.email.toUpperCase(), code });
    expect(res.status).toBe(200);
    const body = await json<{
      user: { emailVerified: boolean; id: string };
      token: string;
      expiresAt: string;
    }>(res);
    expect(body.user).toMatchObject({ id: user.id, emailVerified: true });
    expect(body.token).toMatch(/^[a-z2-7]+\.[a-z2-7]+$/);
    expect(new Date(body.expiresAt).getTime() - Date.now()).toBeGreaterThan(29 * 24 * 3600_000);
    const cookie = res.headers.get('set-cookie') ?? '';
    expect(cookie).toContain(`plaza_session=${body.token}`);
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Lax/i);
    expect(cookie).not.toMatch(/Secure/i); // PUBLIC_URL is http here

    const row = await h.ctx.db
      .selectFrom('users')
      .select('email_verified_at')
      .where('id', '=', user.id)
      .executeTakeFirstOrThrow();
    expect(row.email_verified_at).not.toBeNull();
    expect((await h.call('GET', '/me', undefined, bearerOf(body))).status).toBe(200);

    // Single use: the same code again is just a wrong code.
    const again = await h.call('POST', '/auth/verify-email', { email: user.email, code });
    expect(again.status).toBe(400);
    expect(await errorCode(again)).toBe('invalid_code');
  });

  it('refuses an expired code with invalid_code', async () => {
    const user = await registerUser(h);
    const code = codeIn(await h.nextEmail(user.email, VERIFY_SUBJECT));
    await h.ctx.db
      .updateTable('one_time_codes')
      .set({ expires_at: new Date(Date.now() - 1_000) })
      .where('user_id', '=', user.id)
      .execute();
    const res = await h.call('POST', '/auth/verify-email', { email: user.email, code });
    expect(res.status).toBe(400);
    expect(await errorCode(res)).toBe('invalid_code');
    const row = await h.ctx.db
      .selectFrom('users')
      .select('email_verified_at')
      .where('id', '=', user.id)
      .executeTakeFirstOrThrow();
    expect(row.email_verified_at).toBeNull();
  });

  it('after the second wrong code refuses with 429 and Retry-After, even the right code', async () => {
    const user = await registerUser(h);
    const code = codeIn(await h.nextEmail(user.email, VERIFY_SUBJECT));
    const wrong = { email: user.email, code: otherThan(code) };
    const first = await h.call('POST', '/auth/verify-email', wrong);
    const second = await h.call('POST', '/auth/verify-email', wrong);
    expect([first.status, second.status]).toEqual([400, 400]);
    expect(await errorCode(second)).toBe('invalid_code');

    const third = await h.call('POST', '/auth/verify-email', wrong);
    expect(third.status).toBe(429);
    expect(third.headers.get('retry-after')).toBe('30');
    const body = await json<{ error: { code: string; details: { retryAfterMs: number } } }>(third);
    expect(body.error.code).toBe('rate_limited');
    expect(body.error.details.retryAfterMs).toBeGreaterThan(28_000);
    expect(body.error.details.retryAfterMs).toBeLessThanOrEqual(30_000);

    const right = await h.call('POST', '/auth/verify-email', { email: user.email, code });
    expect(right.status).toBe(429);
    // The code itself survives the cooldown.
    expect(
      await h.ctx.db.selectFrom('one_time_codes').select('id').where('user_id', '=', user.id).execute(),
    ).toHaveLength(1);
  });

  it('doubles the cooldown with each further wrong code', async () => {
    const user = await registerUser(h);
    const code = codeIn(await h.nextEmail(user.email, VERIFY_SUBJECT));
    const wrong = { email: user.email, code: otherThan(code) };
    await h.call('POST', '/auth/verify-email', wrong);
    await h.call('POST', '/auth/verify-email', wrong);
    // Let the 30 s cooldown pass without waiting for it (it lives in Redis).
    const redis = createRedis(h.ctx.redisUrl, 'commands', 'test-cooldown');
    await redis.del(`${h.ctx.redisPrefix}:code:lock:${user.email.toLowerCase()}`);
    const thirdWrong = await h.call('POST', '/auth/verify-email', wrong);
    expect(thirdWrong.status).toBe(400);
    const refused = await h.call('POST', '/auth/verify-email', wrong);
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('60');
    await closeRedis(redis);
  });

  it('treats an unknown address like a wrong code, cooldown included', async () => {
    const email = `${uniqueName('ghost')}@example.test`;
    const answers = [];
    for (let i = 0; i < 3; i++)
      answers.push((await h.call('POST', '/auth/verify-email', { email, code: '123456' })).status);
    expect(answers).toEqual([400, 400, 429]);
  });

  it('resends a new code that replaces the old one, and answers 202 for unknown addresses too', async () => {
    const user = await registerUser(h);
    const oldCode = codeIn(await h.nextEmail(user.email, VERIFY_SUBJECT));
    expect((await h.call('POST', '/auth/verify-email/resend', { email: user.email })).status).toBe(202);
    const newCode = codeIn(await h.nextEmail(user.email, VERIFY_SUBJECT));
    const ghost = `${uniqueName('ghost')}@example.test`;
    expect((await h.call('POST', '/auth/verify-email/resend', { email: ghost })).status).toBe(202);

    if (oldCode !== newCode) {
      const old = await h.call('POST', '/auth/verify-email', { email: user.email, code: oldCode });
      expect(await errorCode(old)).toBe('invalid_code');
    }
    expect((await h.call('POST', '/auth/verify-email', { email: user.email, code: newCode })).status).toBe(
      200,
    );
    // A verified account gets no further codes.
    expect((await h.call('POST', '/auth/verify-email/resend', { email: user.email })).status).toBe(202);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(h.sink.messages.some((m) => m.to.includes(ghost))).toBe(false);
    expect(
      h.sink.messages.filter((m) => m.to.includes(user.email) && VERIFY_SUBJECT.test(m.subject)),
    ).toHaveLength(2);
  });

  it('limits resends per address: the fourth in 15 minutes is 429', async () => {
    const email = `${uniqueName('limit')}@example.test`;
    const statuses = [];
    for (let i = 0; i < 4; i++)
      statuses.push((await h.call('POST', '/auth/verify-email/resend', { email })).status);
    expect(statuses).toEqual([202, 202, 202, 429]);
  });
});

describe('passwordless login', () => {
  it('answers 202 for an unknown email and sends nothing', async () => {
    const email = `${uniqueName('nobody')}@example.test`;
    const res = await h.call('POST', '/auth/login-code', { email, captcha: await h.captcha() });
    expect(res.status).toBe(202);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(h.sink.messages.some((m) => m.to.includes(email))).toBe(false);
  });

  it('emails a one-time code that signs in once', async () => {
    const user = await verifiedUser(h);
    const res = await h.call('POST', '/auth/login-code', { email: user.email, captcha: await h.captcha() });
    expect(res.status).toBe(202);
    const code = codeIn(await h.nextEmail(user.email, LOGIN_SUBJECT));
    const signed = await h.call('POST', '/auth/login-code/verify', { email: user.email, code });
    expect(signed.status).toBe(200);
    const body = await json<{ user: { id: string }; token: string }>(signed);
    expect(body.user.id).toBe(user.id);
    expect(
      await h.ctx.db.selectFrom('sessions').select('id').where('user_id', '=', user.id).execute(),
    ).toHaveLength(2);

    const again = await h.call('POST', '/auth/login-code/verify', { email: user.email, code });
    expect(await errorCode(again)).toBe('invalid_code');
  });

  it('requests racing each other leave one live code, the one of the last email', async () => {
    const user = await verifiedUser(h);
    const statuses = await Promise.all(
      [0, 1, 2].map(
        async () =>
          (await h.call('POST', '/auth/login-code', { email: user.email, captcha: await h.captcha() }))
            .status,
      ),
    );
    expect(statuses).toEqual([202, 202, 202]);
    const rows = await h.ctx.db
      .selectFrom('one_time_codes')
      .select('id')
      .where('user_id', '=', user.id)
      .where('purpose', '=', 'login')
      .execute();
    expect(rows).toHaveLength(1);
  });

  it('replacing a code from many connections at once leaves one row, with a fresh try count', async () => {
    const user = await verifiedUser(h);
    const replace = (n: number) =>
      replaceCode(h.ctx.db, {
        userId: user.id,
        purpose: 'login',
        codeHash: hashCode(user.id, 'login', String(n).padStart(6, '0')),
        expiresAt: new Date(Date.now() + 60_000),
      });
    await replace(0);
    await h.ctx.db
      .updateTable('one_time_codes')
      .set({ attempts: 4 })
      .where('user_id', '=', user.id)
      .execute();
    await Promise.all(Array.from({ length: 20 }, (_, n) => replace(n + 1)));
    const rows = await h.ctx.db
      .selectFrom('one_time_codes')
      .select('attempts')
      .where('user_id', '=', user.id)
      .where('purpose', '=', 'login')
      .execute();
    expect(rows).toEqual([{ attempts: 0 }]);
  });

  it('needs a CAPTCHA to send a code', async () => {
    const user = await verifiedUser(h);
    const res = await h.call('POST', '/auth/login-code', { email: user.email });
    expect(await errorCode(res)).toBe('captcha_failed');
  });

  it('a verification code does not sign in as a login code', async () => {
    const user = await registerUser(h);
    const code = codeIn(await h.nextEmail(user.email, VERIFY_SUBJECT));
    const res = await h.call('POST', '/auth/login-code/verify', { email: user.email, code });
    expect(await errorCode(res)).toBe('invalid_code');
  });
});
