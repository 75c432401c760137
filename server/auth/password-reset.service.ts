// Password reset: an emailed single-use link token; using it sets the password and revokes every session.
import { encodeBase32LowerCaseNoPadding } from '@oslojs/encoding';
import { recordSecurityEvent } from '../account/security-log.ts';
import { forgetSessions } from '../deps.ts';
import { AppError } from '../lib/errors.ts';
import { findUserByEmail, markEmailVerified, setPasswordHash } from './accounts.repository.ts';
import type { AuthContext, ClientInfo } from './auth.context.ts';
import { passwordResetEmail, queueAccountEmail } from './auth.emails.ts';
import { accountKey } from './auth.limits.ts';
import type { ResetPasswordInput } from './auth.schema.ts';
import { consumeCaptcha } from './captcha.ts';
import {
  consumeResetToken,
  deleteCodes,
  hashResetToken,
  replaceCode,
  userVanished,
} from './codes.repository.ts';
import { hashPassword } from './passwords.ts';
import { revokeSessions } from './sessions.ts';

/** Longer than a code: the link may sit in an inbox a while, and 160 random bits cannot be guessed. */
export const RESET_TOKEN_TTL_MS = 60 * 60 * 1_000;

/** 202 whatever the address: a known, active account gets a link to `/reset-password?token=…`. */
export async function forgotPassword(
  ctx: AuthContext,
  input: { email: string; captcha?: string | undefined },
  client: ClientInfo,
): Promise<void> {
  await ctx.limits.forgotPerIp.consume(client.ip);
  await consumeCaptcha(ctx.captcha, input.captcha);
  await ctx.limits.forgotPerEmail.consume(accountKey(input.email));
  const user = await findUserByEmail(ctx.db, input.email);
  if (!user || user.suspended_at) return;
  const token = encodeBase32LowerCaseNoPadding(crypto.getRandomValues(new Uint8Array(20)));
  try {
    await replaceCode(ctx.db, {
      userId: user.id,
      purpose: 'password_reset',
      codeHash: hashResetToken(token),
      expiresAt: new Date(Date.now() + RESET_TOKEN_TTL_MS),
    });
  } catch (error) {
    // The account went away since it was looked up (a stale registration replaced): as for an unknown one.
    if (userVanished(error)) return;
    throw error;
  }
  const link = new URL('/reset-password', ctx.config.publicUrl);
  link.searchParams.set('token', token);
  await queueAccountEmail(ctx, passwordResetEmail(user.email, link.toString()));
}

export async function resetPassword(
  ctx: AuthContext,
  input: ResetPasswordInput,
  client: ClientInfo,
): Promise<void> {
  await ctx.limits.resetPerIp.consume(client.ip);
  const passwordHash = await hashPassword(input.password);
  const userId = await ctx.db.transaction().execute(async (trx) => {
    const userId = await consumeResetToken(trx, hashResetToken(input.token));
    if (!userId) throw new AppError('invalid_code', 'This reset link is invalid, used or expired');
    await setPasswordHash(trx, userId, passwordHash);
    // The link came by email, so the address is proven.
    await markEmailVerified(trx, userId);
    // Whoever held a session (maybe the reason for the reset) loses it now, on every instance.
    await revokeSessions(trx, { userId });
    await deleteCodes(trx, userId, 'login');
    await recordSecurityEvent(trx, { userId, type: 'password_reset', ...client });
    return userId;
  });
  await forgetSessions(ctx, { userIds: [userId] });
}
