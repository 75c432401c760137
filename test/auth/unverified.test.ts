// Unverified registrations cannot prepare an account for its address's owner: the first proof of the mailbox
// by code sign-in or reset drops the password set before it, and a stale registration gives its names back.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SessionCache } from '../../server/auth/session-cache.ts';
import { createSession, validateSessionToken } from '../../server/auth/sessions.ts';
import { createLogger } from '../../server/lib/logger.ts';
import { closeRedis, createRedis } from '../../server/lib/redis.ts';
import { waitFor } from '../helpers/wait.ts';
import { type AuthHarness, codeIn, errorCode, json, startAuthHarness } from './auth-harness.ts';
import { bearerOf, LOGIN_SUBJECT, PASSWORD, RESET_SUBJECT, registerUser, uniqueName } from './users.ts';

let h: AuthHarness;
/** Another instance's memory of validated sessions: what it caches must be forgotten too. */
let otherInstance: SessionCache;
const connections: ReturnType<typeof createRedis>[] = [];

beforeAll(async () => {
  h = await startAuthHarness();
  const publisher = createRedis(h.ctx.redisUrl, 'commands', 'test-other-instance');
  const subscriber = createRedis(h.ctx.redisUrl, 'blocking', 'test-other-instance-sub');
  connections.push(publisher, subscriber);
  otherInstance = new SessionCache({
    publisher,
    subscriber,
    redisPrefix: h.ctx.redisPrefix,
    logger: createLogger('silent', 'test'),
    ttlMs: 30_000,
  });
  otherInstance.start();
  await waitFor(() => otherInstance.listening, { what: 'the other instance to subscribe' });
});

afterAll(async () => {
  await Promise.all(connections.map(closeRedis));
  await h?.close();
});

const seenByOtherInstance = async (token: string) =>
  (await validateSessionToken(h.ctx.db, token, otherInstance)) !== null;

const DAY_MS = 24 * 3600_000;

const loginStatus = async (login: string, password: string) =>
  (await h.call('POST', '/auth/login', { login, password, captcha: await h.captcha() })).status;

/** The attacker's registration of someone else's address, with a session planted as if they had one. */
async function squat() {
  const attacker = await registerUser(h);
  const planted = await createSession(h.ctx.db, attacker.id, 'attacker');
  expect((await h.call('GET', '/me', undefined, bearerOf(planted))).status).toBe(200);
  // Validated once there, so that instance holds it in memory: revocation must reach it too.
  expect(await seenByOtherInstance(planted.token)).toBe(true);
  return { attacker, planted };
}

const backdate = (userId: string, ms: number) =>
  h.ctx.db
    .updateTable('users')
    .set({ created_at: new Date(Date.now() - ms) })
    .where('id', '=', userId)
    .execute();

const usersWith = (email: string) =>
  h.ctx.db
    .selectFrom('users')
    .select(['id', 'username', 'email_verified_at'])
    .where((eb) => eb(eb.fn('lower', ['email']), '=', email.toLowerCase()))
    .execute();

describe('an unverified registration of someone else’s address', () => {
  it('loses its password and sessions when the owner signs in by code', async () => {
    const { attacker, planted } = await squat();
    expect(await loginStatus(attacker.email, PASSWORD)).toBe(403); // email_not_verified: right password

    const ask = await h.call('POST', '/auth/login-code', {
      email: attacker.email,
      captcha: await h.captcha(),
    });
    expect(ask.status).toBe(202);
    const code = codeIn(await h.nextEmail(attacker.email, LOGIN_SUBJECT));
    const owner = await h.call('POST', '/auth/login-code/verify', { email: attacker.email, code });
    expect(owner.status).toBe(200);
    const { token, user } = await json<{ token: string; user: { emailVerified: boolean } }>(owner);
    expect(user.emailVerified).toBe(true);

    expect(await loginStatus(attacker.email, PASSWORD)).toBe(401);
    expect(await loginStatus(attacker.username, PASSWORD)).toBe(401);
    expect((await h.call('GET', '/me', undefined, bearerOf(planted))).status).toBe(401);
    expect(await seenByOtherInstance(planted.token)).toBe(false);
    expect((await h.call('GET', '/me', undefined, { authorization: `Bearer ${token}` })).status).toBe(200);
    const row = await h.ctx.db
      .selectFrom('users')
      .select('password_hash')
      .where('id', '=', attacker.id)
      .executeTakeFirstOrThrow();
    expect(row.password_hash).toBeNull();
  });

  it('a verified account keeps its password when signing in by code', async () => {
    const user = await registerUser(h);
    await h.ctx.db
      .updateTable('users')
      .set({ email_verified_at: new Date() })
      .where('id', '=', user.id)
      .execute();
    await h.call('POST', '/auth/login-code', { email: user.email, captcha: await h.captcha() });
    const code = codeIn(await h.nextEmail(user.email, LOGIN_SUBJECT));
    expect((await h.call('POST', '/auth/login-code/verify', { email: user.email, code })).status).toBe(200);
    expect(await loginStatus(user.email, PASSWORD)).toBe(200);
  });

  it('loses its password and sessions when the owner resets the password', async () => {
    const { attacker, planted } = await squat();
    await h.call('POST', '/auth/password/forgot', { email: attacker.email, captcha: await h.captcha() });
    const link = /https?:\/\/\S+/.exec((await h.nextEmail(attacker.email, RESET_SUBJECT)).text)![0];
    const reset = await h.call('POST', '/auth/password/reset', {
      token: new URL(link).searchParams.get('token'),
      password: 'the owner’s own password',
    });
    expect(reset.status).toBe(204);
    expect(await loginStatus(attacker.email, PASSWORD)).toBe(401);
    expect((await h.call('GET', '/me', undefined, bearerOf(planted))).status).toBe(401);
    expect(await seenByOtherInstance(planted.token)).toBe(false);
    expect(await loginStatus(attacker.email, 'the owner’s own password')).toBe(200);
  });
});

describe('an expired unverified registration', () => {
  const register = async (email: string, username: string) =>
    h.call('POST', '/auth/register', { email, username, password: PASSWORD, captcha: await h.captcha() });

  it('is replaced by a new registration of the same email, and of the same username', async () => {
    const stale = await registerUser(h);
    await backdate(stale.id, DAY_MS + 60_000);
    const byEmail = await register(stale.email, uniqueName('owner'));
    expect(byEmail.status).toBe(201);
    const rows = await usersWith(stale.email);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.id).not.toBe(stale.id);

    const squatter = await registerUser(h);
    await backdate(squatter.id, DAY_MS + 60_000);
    const byName = await register(`${uniqueName('other')}@example.test`, squatter.username);
    expect(byName.status).toBe(201);
    expect(await usersWith(squatter.email)).toHaveLength(0);
  });

  it('is not replaced before it expires, and a verified account never is', async () => {
    const fresh = await registerUser(h);
    await backdate(fresh.id, DAY_MS - 60_000);
    const early = await register(fresh.email, uniqueName('early'));
    expect(early.status).toBe(409);

    const verified = await registerUser(h);
    await h.ctx.db
      .updateTable('users')
      .set({ email_verified_at: new Date(), created_at: new Date(Date.now() - 30 * DAY_MS) })
      .where('id', '=', verified.id)
      .execute();
    const taken = await register(verified.email, uniqueName('late'));
    expect(taken.status).toBe(409);
    expect(await errorCode(taken)).toBe('conflict');
    expect((await usersWith(verified.email))[0]!.id).toBe(verified.id);
  });

  it('two registrations racing to replace it: exactly one wins', async () => {
    const stale = await registerUser(h);
    await backdate(stale.id, DAY_MS + 60_000);
    const [a, b] = await Promise.all([
      register(stale.email, uniqueName('racer')),
      register(stale.email.toUpperCase(), uniqueName('racer')),
    ]);
    expect([a.status, b.status].sort()).toEqual([201, 409]);
    const rows = await usersWith(stale.email);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.id).not.toBe(stale.id);
  });
});
