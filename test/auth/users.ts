// Account helpers for the auth tests: register (and verify) through the real routes, as a person would.
import { randomBytes } from 'node:crypto';
import { expect } from 'vitest';
import type { AuthHarness } from './auth-harness.ts';
import { codeIn, json } from './auth-harness.ts';

export const PASSWORD = 'a long enough password';
export const VERIFY_SUBJECT = /verification code/;
export const LOGIN_SUBJECT = /sign-in code/;
export const RESET_SUBJECT = /Reset your Plaza password/;

export interface Registered {
  id: string;
  email: string;
  username: string;
  password: string;
}

export const uniqueName = (prefix = 'u') => `${prefix}_${randomBytes(5).toString('hex')}`;

export async function registerUser(h: AuthHarness, username = uniqueName()): Promise<Registered> {
  const email = `${username}@example.test`;
  const res = await h.call('POST', '/auth/register', {
    email,
    username,
    password: PASSWORD,
    captcha: await h.captcha(),
  });
  expect(res.status).toBe(201);
  const { user } = await json<{ user: { id: string } }>(res);
  return { id: user.id, email, username, password: PASSWORD };
}

export interface SignedInUser extends Registered {
  token: string;
}

/** Registers, reads the code from the email, verifies: a signed-in user with a bearer token. */
export async function verifiedUser(h: AuthHarness, username = uniqueName()): Promise<SignedInUser> {
  const user = await registerUser(h, username);
  const code = codeIn(await h.nextEmail(user.email, VERIFY_SUBJECT));
  const res = await h.call('POST', '/auth/verify-email', { email: user.email, code });
  expect(res.status).toBe(200);
  const { token } = await json<{ token: string }>(res);
  return { ...user, token };
}

export const bearerOf = (user: { token: string }) => ({ authorization: `Bearer ${user.token}` });
