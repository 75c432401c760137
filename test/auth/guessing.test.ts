// Guessing codes and passwords: bursts, many client addresses, one network locking out another.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RateLimit } from '../../server/lib/rate-limit.ts';
import { closeRedis, createRedis } from '../../server/lib/redis.ts';
import { type AuthHarness, codeIn, errorCode, startAuthHarness } from './auth-harness.ts';
import { LOGIN_SUBJECT, PASSWORD, registerUser, uniqueName, VERIFY_SUBJECT, verifiedUser } from './users.ts';

let h: AuthHarness;
let redis: ReturnType<typeof createRedis>;

beforeAll(async () => {
  h = await startAuthHarness();
  redis = createRedis(h.ctx.redisUrl, 'commands', 'test-guessing');
});

afterAll(async () => {
  await closeRedis(redis);
  await h?.close();
});

/** The n-th wrong guess for `code` (never the code itself). */
const guess = (code: string, n: number) => String((Number(code) + 1 + n) % 1_000_000).padStart(6, '0');

/** Lets the wrong-code cooldown of an address pass without waiting for it (as if its time were up). */
const endCooldown = (email: string) =>
  redis.del(
    `${h.ctx.redisPrefix}:code:failures:${email.toLowerCase()}`,
    `${h.ctx.redisPrefix}:code:lock:${email.toLowerCase()}`,
  );

const count = (statuses: number[], status: number) => statuses.filter((s) => s === status).length;

describe('guessing a 6-digit code', () => {
  it('a concurrent burst from many client addresses gets two wrong codes checked, then 429; after 5 wrong tries the code is dead', async () => {
    const user = await registerUser(h);
    const code = codeIn(await h.nextEmail(user.email, VERIFY_SUBJECT));
    let n = 0;
    // Each request from its own client address (h.call), so only the address's own limits can stop them.
    const burst = () =>
      Promise.all(
        Array.from({ length: 50 }, () =>
          h.call('POST', '/auth/verify-email', { email: user.email, code: guess(code, n++) }),
        ),
      ).then((responses) => responses.map((r) => r.status));

    for (let round = 0; round < 3; round++) {
      const statuses = await burst();
      expect(count(statuses, 400) + count(statuses, 429)).toBe(50);
      // The cooldown starts with the second wrong code even when every request arrives at once.
      expect(count(statuses, 400)).toBeLessThanOrEqual(2);
      await endCooldown(user.email);
    }
    // 3 rounds let up to 6 wrong codes through the cooldown; the code counted 5 and died.
    const right = await h.call('POST', '/auth/verify-email', { email: user.email, code });
    expect(right.status).toBe(400);
    expect(await errorCode(right)).toBe('invalid_code');
    const row = await h.ctx.db
      .selectFrom('users')
      .select('email_verified_at')
      .where('id', '=', user.id)
      .executeTakeFirstOrThrow();
    expect(row.email_verified_at).toBeNull();

    // A fresh code is a fresh start.
    expect((await h.call('POST', '/auth/verify-email/resend', { email: user.email })).status).toBe(202);
    const fresh = codeIn(await h.nextEmail(user.email, VERIFY_SUBJECT));
    await endCooldown(user.email);
    expect((await h.call('POST', '/auth/verify-email', { email: user.email, code: fresh })).status).toBe(200);
  });

  it('a login code dies after 5 wrong tries, whatever the client addresses and the cooldown', async () => {
    const user = await verifiedUser(h);
    const asked = await h.call('POST', '/auth/login-code', { email: user.email, captcha: await h.captcha() });
    expect(asked.status).toBe(202);
    const code = codeIn(await h.nextEmail(user.email, LOGIN_SUBJECT));
    for (let i = 0; i < 5; i++) {
      await endCooldown(user.email);
      const res = await h.call('POST', '/auth/login-code/verify', {
        email: user.email,
        code: guess(code, i),
      });
      expect(await errorCode(res)).toBe('invalid_code');
    }
    await endCooldown(user.email);
    const right = await h.call('POST', '/auth/login-code/verify', { email: user.email, code });
    expect(right.status).toBe(400);
    expect(await errorCode(right)).toBe('invalid_code');
  });
});

describe('client addresses as rate-limit keys', () => {
  /** A login with a failed CAPTCHA: counted against its address (30 per 15 min), then 400. */
  const badLogin = (address: string) =>
    h
      .call(
        'POST',
        '/auth/login',
        { login: uniqueName(), password: 'x', captcha: 'x' },
        { 'x-forwarded-for': address },
      )
      .then((r) => r.status);

  it('IPv6 addresses of one /64 share a bucket, however they are spelled', async () => {
    const spellings = (i: number) =>
      [
        `2001:db8:77:1::${(i + 1).toString(16)}`,
        `2001:0DB8:0077:0001:0000:${i.toString(16)}:0:1`,
        `2001:db8:77:1:${i.toString(16)}:ffff:ffff:ffff`,
      ][i % 3]!;
    const statuses: number[] = [];
    for (let i = 0; i < 30; i++) statuses.push(await badLogin(spellings(i)));
    expect(statuses).toEqual(Array(30).fill(400));
    expect(await badLogin('2001:db8:77:1:abcd::1')).toBe(429);
    // The next /64 is another bucket.
    expect(await badLogin('2001:db8:77:2::1')).toBe(400);
  });

  it('an IPv4-mapped IPv6 address is its IPv4 address', async () => {
    const spellings = ['::ffff:198.51.100.23', '::FFFF:c633:6417', '0:0:0:0:0:ffff:198.51.100.23'];
    const statuses: number[] = [];
    for (let i = 0; i < 30; i++) statuses.push(await badLogin(spellings[i % 3]!));
    expect(statuses).toEqual(Array(30).fill(400));
    expect(await badLogin('198.51.100.23')).toBe(429);
    expect(await badLogin('198.51.100.24')).toBe(400);
  });
});

describe('password lockout', () => {
  const loginFrom = async (address: string, loginName: string, password: string) =>
    h.call(
      'POST',
      '/auth/login',
      { login: loginName, password, captcha: await h.captcha() },
      { 'x-forwarded-for': address },
    );

  it('an attacker failing from one network locks out that network, not the owner on another', async () => {
    const user = await verifiedUser(h);
    const statuses: number[] = [];
    // Distinct addresses of one /24: the per-address limit is not what stops them.
    for (let i = 1; i <= 11; i++)
      statuses.push((await loginFrom(`203.0.113.${i}`, user.username, 'not the password')).status);
    expect(statuses).toEqual([...Array(10).fill(401), 429]);
    expect((await loginFrom('203.0.113.200', user.username, PASSWORD)).status).toBe(429);

    const owner = await loginFrom('192.0.2.10', user.username, PASSWORD);
    expect(owner.status).toBe(200);
  });

  it('guessing spread over many networks stops at 100 tries per 15 minutes; the owner still signs in by code', async () => {
    const user = await verifiedUser(h);
    for (let net = 0; net < 10; net++) {
      const statuses = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          loginFrom(`100.64.${net}.${i + 1}`, user.username, 'wrong').then((r) => r.status),
        ),
      );
      expect(statuses).toEqual(Array(10).fill(401));
    }
    expect((await loginFrom('100.64.200.1', user.username, PASSWORD)).status).toBe(429);

    const asked = await h.call('POST', '/auth/login-code', { email: user.email, captcha: await h.captcha() });
    expect(asked.status).toBe(202);
    const code = codeIn(await h.nextEmail(user.email, LOGIN_SUBJECT));
    expect((await h.call('POST', '/auth/login-code/verify', { email: user.email, code })).status).toBe(200);
  }, 60_000);

  it("the owner's own sign-ins do not count towards the all-networks ceiling", async () => {
    const user = await verifiedUser(h);
    for (let net = 0; net < 10; net++) {
      const statuses = await Promise.all(
        Array.from({ length: 9 }, (_, i) =>
          loginFrom(`100.65.${net}.${i + 1}`, user.username, 'wrong').then((r) => r.status),
        ),
      );
      expect(statuses).toEqual(Array(9).fill(401));
    }
    const owner: number[] = [];
    for (let i = 0; i < 11; i++) owner.push((await loginFrom('192.0.2.50', user.username, PASSWORD)).status);
    expect(owner).toEqual(Array(11).fill(200));
    expect((await loginFrom('100.65.200.1', user.username, 'wrong')).status).toBe(401);
  }, 60_000);

  it('logs the moment a limit locks, once', async () => {
    const locked: string[] = [];
    const limit = new RateLimit(
      redis,
      h.ctx.redisPrefix,
      'lockout-log',
      { points: 2, durationSec: 60 },
      {
        onLimitReached: (key) => locked.push(key),
      },
    );
    await limit.consume('k');
    await limit.consume('k');
    for (let i = 0; i < 3; i++)
      await expect(limit.consume('k')).rejects.toMatchObject({ code: 'rate_limited' });
    expect(locked).toEqual(['k']);
  });

  it('an attacker on one IPv6 /64 is one network', async () => {
    const user = await verifiedUser(h);
    for (let i = 1; i <= 10; i++)
      expect((await loginFrom(`2001:db8:99:5::${i}`, user.username, 'wrong')).status).toBe(401);
    expect((await loginFrom('2001:db8:99:5:1:2:3:4', user.username, PASSWORD)).status).toBe(429);
    expect((await loginFrom('2001:db8:99:6::1', user.username, PASSWORD)).status).toBe(200);
  });
});
