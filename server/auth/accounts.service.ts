// The account rules: registration with an emailed code, email verification, password and passwordless login.
import { randomInt } from 'node:crypto';
import type { Me } from '@plaza/client/protocol';
import { recordSecurityEvent } from '../account/security-log.ts';
import type { Executor, Trx } from '../db/database.ts';
import type { CodePurpose, UserRow } from '../db/schema.ts';
import { forgetSessions } from '../deps.ts';
import { networkOf } from '../http/client-ip.ts';
import { AppError } from '../lib/errors.ts';
import { newId } from '../lib/ids.ts';
import { mediaStoreOf } from '../media/store.factory.ts';
import {
  deleteStaleRegistrations,
  findUserByEmail,
  findUserByLogin,
  findUserByUsername,
  insertUser,
  markEmailVerified,
  verifyEmailDroppingPassword,
} from './accounts.repository.ts';
import type { AuthContext, ClientInfo } from './auth.context.ts';
import { loginCodeEmail, queueAccountEmail, verificationEmail } from './auth.emails.ts';
import { accountKey, loginLockoutKey } from './auth.limits.ts';
import type { LoginInput, RegisterInput, VerifyCodeInput } from './auth.schema.ts';
import { captchaClaim, consumeCaptcha } from './captcha.ts';
import { hashCode, replaceCode, tryCode, userVanished } from './codes.repository.ts';
import { admitLogin, loginSucceeded } from './login-admission.ts';
import { userRowToMe } from './me.ts';
import { hashPassword, verifyPassword } from './passwords.ts';
import { type SignedIn, signIn } from './sessions.service.ts';
import { revokeSessions } from './sessions.ts';

export const CODE_TTL_MS = 15 * 60 * 1_000;

/** A registration nobody verified within this long gives its email and username back to the next one. */
export const UNVERIFIED_REGISTRATION_TTL_MS = 24 * 3600 * 1_000;

/** Still holds its names: verified, or registered less than the TTL ago. */
const holdsNames = (user: UserRow | undefined, createdBefore: Date): boolean =>
  user !== undefined && (user.email_verified_at !== null || user.created_at >= createdBefore);

const invalidCredentials = () => new AppError('invalid_credentials', 'Wrong login or password');
const invalidCode = () => new AppError('invalid_code', 'The code is wrong or has expired');
const conflict = (field: 'email' | 'username') =>
  new AppError('conflict', `This ${field} is already taken`, { field });

/** A uniformly random 6-digit code. */
const newCode = (): string => randomInt(0, 1_000_000).toString().padStart(6, '0');

/** Stores a fresh code for (user, purpose) and returns it in clear, for the email. */
async function issueCode(db: Executor, userId: string, purpose: CodePurpose): Promise<string> {
  const code = newCode();
  await replaceCode(db, {
    userId,
    purpose,
    codeHash: hashCode(userId, purpose, code),
    expiresAt: new Date(Date.now() + CODE_TTL_MS),
  });
  return code;
}

/** Null when the account went away since it was looked up: nothing is sent, as for an unknown address. */
async function issueCodeUnlessGone(
  ctx: AuthContext,
  userId: string,
  purpose: CodePurpose,
): Promise<string | null> {
  try {
    return await issueCode(ctx.db, userId, purpose);
  } catch (error) {
    if (userVanished(error)) return null;
    throw error;
  }
}

function uniqueViolation(error: unknown): 'email' | 'username' | null {
  const e = error as { code?: string; constraint?: string };
  if (e?.code !== '23505') return null;
  if (e.constraint === 'users_email_lower') return 'email';
  if (e.constraint === 'users_username_lower') return 'username';
  return null;
}

export async function register(
  ctx: AuthContext,
  input: RegisterInput,
  client: ClientInfo,
): Promise<{ user: Me }> {
  await ctx.limits.registerPerIp.consume(client.ip);
  await consumeCaptcha(ctx.captcha, input.captcha);
  const createdBefore = new Date(Date.now() - UNVERIFIED_REGISTRATION_TTL_MS);
  if (holdsNames(await findUserByUsername(ctx.db, input.username), createdBefore)) throw conflict('username');
  if (holdsNames(await findUserByEmail(ctx.db, input.email), createdBefore)) throw conflict('email');

  const passwordHash = await hashPassword(input.password);
  let created: { user: UserRow; code: string };
  try {
    created = await ctx.db.transaction().execute(async (trx) => {
      // Stale registrations go in the same transaction as the insert that takes their names: a failed
      // insert keeps them, and racing registrations are ordered by the deleted rows' locks, then the index.
      await deleteStaleRegistrations(trx, { email: input.email, username: input.username, createdBefore });
      const user = await insertUser(trx, {
        id: newId(),
        email: input.email,
        username: input.username,
        displayName: input.displayName ?? input.username,
        passwordHash,
      });
      return { user, code: await issueCode(trx, user.id, 'verify_email') };
    });
  } catch (error) {
    // Two registrations racing for one name: the index decides, the loser gets the same 409.
    const field = uniqueViolation(error);
    if (field) throw conflict(field);
    // A stale registration that something now refers to (money sent to it meanwhile) is not deleted.
    if ((error as { code?: string })?.code === '23503') throw conflict('email');
    throw error;
  }
  // After commit: an email never announces an account that does not exist.
  await queueAccountEmail(ctx, verificationEmail(created.user, created.code));
  return { user: await userRowToMe(ctx.db, created.user, created.user.id, mediaStoreOf(ctx.config)) };
}

/**
 * Checks a 6-digit code for an address under the wrong-code cooldown; an unknown address is just a wrong code.
 * `onValid` runs in the same transaction as the code's consumption (throwing there keeps the code).
 */
async function redeemCode<T>(
  ctx: AuthContext,
  input: VerifyCodeInput,
  purpose: CodePurpose,
  client: ClientInfo,
  onValid: (trx: Trx, user: UserRow) => Promise<T>,
): Promise<T> {
  await ctx.limits.codeVerifyPerIp.consume(client.ip);
  // Counted before the code is looked at (a wrong code until proven right), so a burst cannot all pass.
  await ctx.cooldown.reserve(input.email);
  const user = await findUserByEmail(ctx.db, input.email);
  const result = await ctx.db.transaction().execute(async (trx) => {
    if (!user) return { ok: false as const };
    const ok = await tryCode(trx, {
      userId: user.id,
      purpose,
      codeHash: hashCode(user.id, purpose, input.code),
    });
    return ok ? { ok: true as const, value: await onValid(trx, user) } : { ok: false as const };
  });
  if (!result.ok) throw invalidCode();
  await ctx.cooldown.clear(input.email);
  return result.value;
}

export async function verifyEmail(
  ctx: AuthContext,
  input: VerifyCodeInput,
  client: ClientInfo,
): Promise<SignedIn> {
  const user = await redeemCode(ctx, input, 'verify_email', client, async (trx, user) => {
    await markEmailVerified(trx, user.id);
    return user;
  });
  return signIn(
    ctx,
    { ...user, email_verified_at: user.email_verified_at ?? new Date() },
    client,
    'login_code',
  );
}

/** 202 whatever the address: only an unverified account gets a new code. */
export async function resendVerification(ctx: AuthContext, email: string, client: ClientInfo): Promise<void> {
  await ctx.limits.resendPerIp.consume(client.ip);
  await ctx.limits.resendPerEmail.consume(accountKey(email));
  const user = await findUserByEmail(ctx.db, email);
  if (!user || user.email_verified_at) return;
  const code = await issueCodeUnlessGone(ctx, user.id, 'verify_email');
  if (code) await queueAccountEmail(ctx, verificationEmail(user, code));
}

/**
 * Settles both, then throws the first failure in argument order (what running them one after the other
 * would have thrown first); independent Redis and PostgreSQL calls so share a round trip.
 */
async function both<A, B>(a: Promise<A>, b: Promise<B>): Promise<[A, B]> {
  const [x, y] = await Promise.allSettled([a, b]);
  if (x.status === 'rejected') throw x.reason;
  if (y.status === 'rejected') throw y.reason;
  return [x.value, y.value];
}

export async function login(ctx: AuthContext, input: LoginInput, client: ClientInfo): Promise<SignedIn> {
  const account = accountKey(input.login);
  const lockout = loginLockoutKey(account, networkOf(client.ip));
  // One Redis script (login-admission.ts): the per-address count and the CAPTCHA's single use (a 429 still
  // wins, and a refused request still counts against its address), then, only when both passed, the
  // per-account counts: locking someone else's account out costs a solved challenge each, and locks it only
  // for the attacker's network; the all-networks ceiling counts only tries that the network's own limit
  // let through, so one network cannot reach it. The lookup rides along once the CAPTCHA is valid (a
  // garbage one costs no query); it is the same query for known and unknown accounts, and a 429 waits for it.
  const claim = captchaClaim(ctx.captcha, input.captcha);
  const admission = {
    perAddress: ctx.limits.loginPerIp,
    perAccountNetwork: ctx.limits.loginPerAccountNetwork,
    perAccount: ctx.limits.loginPerAccount,
    captcha: ctx.captcha,
  };
  const [, user] = await both(
    admitLogin(admission, { address: client.ip, lockout, account }, claim),
    claim ? findUserByLogin(ctx.db, input.login) : Promise.resolve(undefined),
  );
  // Unknown user and wrong password: the same work (a dummy hash) and the same answer.
  if (!(await verifyPassword(user?.password_hash ?? null, input.password)) || !user) {
    // The owner's security log shows the guess; an unknown account has no log. Not awaited: the answer
    // must not wait on a write that only existing accounts make (timing would tell which exist).
    if (user) {
      recordSecurityEvent(ctx.db, { userId: user.id, type: 'login_failed', ...client }).catch(
        (error: unknown) => ctx.logger.warn({ err: error }, 'could not record a failed login'),
      );
    }
    throw invalidCredentials();
  }
  // Only someone who knows the password learns this. A suspended account signs in too: its session may only
  // export and delete (auth/suspended.ts).
  if (!user.email_verified_at) {
    // The address to verify, for the sign-in page's link to /verify: the caller has proven the password.
    throw new AppError('email_not_verified', 'Verify your email first; a new code can be sent', {
      email: user.email,
    });
  }
  // The ceiling bounds guessing: the owner's own sign-ins give their try back.
  const [, signedIn] = await both(
    loginSucceeded(admission, { lockout, account }),
    signIn(ctx, user, client, 'login'),
  );
  return signedIn;
}

/** 202 whatever the address (no enumeration): a known account (suspended too) gets a one-time sign-in code. */
export async function requestLoginCode(
  ctx: AuthContext,
  input: { email: string; captcha?: string | undefined },
  client: ClientInfo,
): Promise<void> {
  await ctx.limits.loginCodePerIp.consume(client.ip);
  await consumeCaptcha(ctx.captcha, input.captcha);
  await ctx.limits.loginCodePerEmail.consume(accountKey(input.email));
  const user = await findUserByEmail(ctx.db, input.email);
  if (!user) return;
  const code = await issueCodeUnlessGone(ctx, user.id, 'login');
  if (code) await queueAccountEmail(ctx, loginCodeEmail(user.email, code));
}

/**
 * A sign-in code proves the address too, so it also verifies an unverified email. On a never-verified
 * account it is the first proof of the mailbox: whoever registered may not be its owner (an account
 * prepared for them), so the password set then goes, and any session with it, on every instance.
 */
export async function verifyLoginCode(
  ctx: AuthContext,
  input: VerifyCodeInput,
  client: ClientInfo,
): Promise<SignedIn> {
  const { user, claimed } = await redeemCode(ctx, input, 'login', client, async (trx, user) => {
    const claimed = await verifyEmailDroppingPassword(trx, user.id);
    if (claimed) await revokeSessions(trx, { userId: user.id });
    return { user, claimed };
  });
  if (claimed) await forgetSessions(ctx, { userIds: [user.id] });
  return signIn(
    ctx,
    { ...user, email_verified_at: user.email_verified_at ?? new Date() },
    client,
    'login_code',
  );
}
