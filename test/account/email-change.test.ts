// POST /me/email and /me/email/verify end to end: the code goes to the new address, the account moves there,
// the old address is told; an address with an account reveals nothing to the requester.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AuthHarness, codeIn, errorCode, json, startAuthHarness } from '../auth/auth-harness.ts';
import { bearerOf, PASSWORD, uniqueName, verifiedUser } from '../auth/users.ts';

let h: AuthHarness;

beforeAll(async () => {
  h = await startAuthHarness();
});

afterAll(async () => {
  await h?.close();
});

const CODE_SUBJECT = /email change code/;
const CHANGED_SUBJECT = /email address was changed/;
const TAKEN_SUBJECT = /tried to move a Plaza account/;

const changeEmail = (user: { token: string }, newEmail: string, password = PASSWORD) =>
  h.call('POST', '/me/email', { newEmail, password }, bearerOf(user));
const verify = (user: { token: string }, code: string, headers: Record<string, string> = {}) =>
  h.call('POST', '/me/email/verify', { code }, { ...bearerOf(user), ...headers });
const mailsTo = (address: string) => h.sink.messages.filter((m) => m.to.includes(address.toLowerCase()));

describe('changing the email address', () => {
  it('sends a code to the new address, moves the account there, and tells the old one', async () => {
    const user = await verifiedUser(h);
    const newEmail = `${uniqueName('moved')}@example.test`;
    expect((await changeEmail(user, newEmail)).status).toBe(202);
    const mail = await h.nextEmail(newEmail, CODE_SUBJECT);
    expect(mail.text).toContain(`@${user.username}`);
    // Nothing moves before the code.
    expect((await json<{ email: string }>(await h.call('GET', '/me', undefined, bearerOf(user)))).email).toBe(
      user.email,
    );

    const res = await verify(user, codeIn(mail), { 'x-forwarded-for': '10.77.0.1', 'user-agent': 'Mover/1' });
    expect(res.status).toBe(200);
    expect(await json(res)).toMatchObject({ email: newEmail, emailVerified: true, username: user.username });
    const told = await h.nextEmail(user.email, CHANGED_SUBJECT);
    expect(told.text).toContain(newEmail);

    // The new address signs in; the old one no longer does.
    const login = async (login: string) =>
      h.call('POST', '/auth/login', { login, password: PASSWORD, captcha: await h.captcha() });
    expect((await login(newEmail)).status).toBe(200);
    expect((await login(user.email)).status).toBe(401);
    const log = await json<{ items: Array<{ type: string; ip: string; userAgent: string }> }>(
      await h.call('GET', '/me/security', undefined, bearerOf(user)),
    );
    expect(log.items).toContainEqual(
      expect.objectContaining({ type: 'email_changed', ip: '10.77.0.1', userAgent: 'Mover/1' }),
    );
    // Used once.
    expect(await errorCode(await verify(user, codeIn(mail)))).toBe('invalid_code');
  });

  it('answers an address that has an account as any other, and tells that address instead of sending a code', async () => {
    const user = await verifiedUser(h);
    const owner = await verifiedUser(h);
    const res = await changeEmail(user, owner.email.toUpperCase());
    expect(res.status).toBe(202);
    await h.nextEmail(owner.email, TAKEN_SUBJECT);
    expect(mailsTo(owner.email).filter((m) => CODE_SUBJECT.test(m.subject))).toEqual([]);
    // No code exists to guess.
    expect(await errorCode(await verify(user, '123456'))).toBe('invalid_code');
    const row = await h.ctx.db
      .selectFrom('users')
      .select('email')
      .where('id', '=', user.id)
      .executeTakeFirstOrThrow();
    expect(row.email).toBe(user.email);
  });

  it('refuses a wrong password with 403, a wrong code with 400, and keeps only the latest request', async () => {
    const user = await verifiedUser(h);
    const first = `${uniqueName('first')}@example.test`;
    const second = `${uniqueName('second')}@example.test`;
    expect((await changeEmail(user, first, 'wrong password')).status).toBe(403);
    expect((await changeEmail(user, user.email)).status).toBe(400);

    expect((await changeEmail(user, first)).status).toBe(202);
    const firstCode = codeIn(await h.nextEmail(first, CODE_SUBJECT));
    expect((await changeEmail(user, second)).status).toBe(202);
    const secondCode = codeIn(await h.nextEmail(second, CODE_SUBJECT));
    const wrong =
      firstCode === secondCode ? String((Number(secondCode) + 1) % 1_000_000).padStart(6, '0') : firstCode;
    const refused = await verify(user, wrong);
    expect(refused.status).toBe(400);
    expect(await errorCode(refused)).toBe('invalid_code');
    const moved = await verify(user, secondCode);
    expect(moved.status).toBe(200);
    expect((await json<{ email: string }>(moved)).email).toBe(second);
  });

  it('answers 409 when the address was taken between the code and its use', async () => {
    const user = await verifiedUser(h);
    const contested = `${uniqueName('contested')}@example.test`;
    expect((await changeEmail(user, contested)).status).toBe(202);
    const code = codeIn(await h.nextEmail(contested, CODE_SUBJECT));
    await verifiedUser(h, contested.split('@')[0]);
    const res = await verify(user, code);
    expect(res.status).toBe(409);
    expect(await errorCode(res)).toBe('conflict');
  });

  it('needs a session', async () => {
    expect(
      (await h.call('POST', '/me/email', { newEmail: 'x@example.test', password: PASSWORD })).status,
    ).toBe(401);
    expect((await h.call('POST', '/me/email/verify', { code: '123456' })).status).toBe(401);
  });
});
