import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AuthHarness, codeIn, errorCode, json, startAuthHarness } from './auth-harness.ts';
import { PASSWORD, registerUser, uniqueName, VERIFY_SUBJECT } from './users.ts';

let h: AuthHarness;

beforeAll(async () => {
  h = await startAuthHarness();
});

afterAll(async () => {
  await h?.close();
});

const userCount = async () =>
  Number(
    (
      await h.ctx.db
        .selectFrom('users')
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  );

describe('registration', () => {
  it('creates an unverified account with an argon2id hash and emails a 6-digit code stored only hashed', async () => {
    const username = uniqueName('Ada');
    const res = await h.call('POST', '/auth/register', {
      email: `${username}@Example.test`,
      username,
      password: PASSWORD,
      displayName: 'Ada L.',
      captcha: await h.captcha(),
    });
    expect(res.status).toBe(201);
    const { user } = await json<{ user: Record<string, unknown> }>(res);
    expect(user).toMatchObject({
      username: username.toLowerCase(),
      displayName: 'Ada L.',
      email: `${username}@Example.test`,
      emailVerified: false,
      role: 'member',
      followerCount: 0,
      followingCount: 0,
      followedByMe: false,
    });

    const row = await h.ctx.db
      .selectFrom('users')
      .selectAll()
      .where('id', '=', user.id as string)
      .executeTakeFirstOrThrow();
    expect(row.password_hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(row.email_verified_at).toBeNull();

    const message = await h.nextEmail(`${username}@example.test`, VERIFY_SUBJECT);
    const code = codeIn(message);
    const codes = await h.ctx.db
      .selectFrom('one_time_codes')
      .selectAll()
      .where('user_id', '=', row.id)
      .execute();
    expect(codes).toHaveLength(1);
    expect(codes[0]!.purpose).toBe('verify_email');
    expect(Buffer.from(codes[0]!.code_hash).toString('utf8')).not.toContain(code);
    expect(codes[0]!.expires_at.getTime() - Date.now()).toBeGreaterThan(14 * 60_000);
    expect(codes[0]!.expires_at.getTime() - Date.now()).toBeLessThanOrEqual(15 * 60_000);
  });

  it.each([
    ['an invalid email', { email: 'not-an-email' }, 'email'],
    ['a short password', { password: 'short' }, 'password'],
    ['a too long password', { password: 'x'.repeat(257) }, 'password'],
    ['a username with a dash', { username: 'bad-name' }, 'username'],
    ['a two-letter username', { username: 'ab' }, 'username'],
  ])('refuses %s with validation_failed naming the field', async (_what, override, field) => {
    const before = await userCount();
    const username = uniqueName();
    const res = await h.call('POST', '/auth/register', {
      email: `${username}@example.test`,
      username,
      password: PASSWORD,
      captcha: await h.captcha(),
      ...override,
    });
    expect(res.status).toBe(400);
    const body = await json<{ error: { code: string; details: { issues: Array<{ path: string }> } } }>(res);
    expect(body.error.code).toBe('validation_failed');
    expect(body.error.details.issues.map((i) => i.path)).toContain(field);
    expect(await userCount()).toBe(before);
  });

  it('refuses a username taken in another case with 409 conflict', async () => {
    const first = await registerUser(h);
    const res = await h.call('POST', '/auth/register', {
      email: `other_${first.username}@example.test`,
      username: first.username.toUpperCase(),
      password: PASSWORD,
      captcha: await h.captcha(),
    });
    expect(res.status).toBe(409);
    expect(await json(res)).toMatchObject({ error: { code: 'conflict', details: { field: 'username' } } });
  });

  it('refuses an email taken in another case with 409 conflict', async () => {
    const first = await registerUser(h);
    const res = await h.call('POST', '/auth/register', {
      email: first.email.toUpperCase(),
      username: uniqueName(),
      password: PASSWORD,
      captcha: await h.captcha(),
    });
    expect(res.status).toBe(409);
    expect(await json(res)).toMatchObject({ error: { code: 'conflict', details: { field: 'email' } } });
  });
});

describe('CAPTCHA', () => {
  const attempt = (captcha?: string) => {
    const username = uniqueName();
    return h.call('POST', '/auth/register', {
      email: `${username}@example.test`,
      username,
      password: PASSWORD,
      ...(captcha === undefined ? {} : { captcha }),
    });
  };

  it('serves an ALTCHA SHA-256 challenge with the configured maxnumber', async () => {
    const res = await h.app.request('/api/v1/auth/captcha');
    expect(res.status).toBe(200);
    const challenge = await json(res);
    expect(challenge).toMatchObject({ algorithm: 'SHA-256', maxnumber: 1000 });
    expect(Object.keys(challenge).sort()).toEqual([
      'algorithm',
      'challenge',
      'maxnumber',
      'salt',
      'signature',
    ]);
    expect(String(challenge.salt)).toMatch(/expires=\d+/);
  });

  it('refuses a missing CAPTCHA with captcha_failed', async () => {
    const before = await userCount();
    const res = await attempt();
    expect(res.status).toBe(400);
    expect(await errorCode(res)).toBe('captcha_failed');
    expect(await userCount()).toBe(before);
  });

  it('refuses garbage and a wrong solution with captcha_failed', async () => {
    expect(await errorCode(await attempt('not base64 json'))).toBe('captcha_failed');
    const solved = JSON.parse(Buffer.from(await h.captcha(), 'base64').toString()) as { number: number };
    const wrong = Buffer.from(JSON.stringify({ ...solved, number: solved.number + 1 })).toString('base64');
    expect(await errorCode(await attempt(wrong))).toBe('captcha_failed');
  });

  it('accepts a solution once: the replay is refused with captcha_failed', async () => {
    const solved = await h.captcha();
    expect((await attempt(solved)).status).toBe(201);
    const replay = await attempt(solved);
    expect(replay.status).toBe(400);
    expect(await errorCode(replay)).toBe('captcha_failed');
  });
});
