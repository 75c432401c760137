// POST /me/email and /me/email/verify: a code to the new address proves it, then the account moves there
// and the old address is told. The pending address is kept with the code (one_time_codes.new_email).
import { randomInt } from 'node:crypto';
import type { Me } from '@plaza/client/protocol';
import { findUserByEmail, findUserById } from '../auth/accounts.repository.ts';
import { CODE_TTL_MS } from '../auth/accounts.service.ts';
import type { Actor } from '../auth/actor.ts';
import type { AuthContext, ClientInfo } from '../auth/auth.context.ts';
import { queueAccountEmail } from '../auth/auth.emails.ts';
import { deleteCodes, hashCode, tryCode } from '../auth/codes.repository.ts';
import { loadMe } from '../auth/me.ts';
import type { Executor } from '../db/database.ts';
import { AppError, unauthenticated } from '../lib/errors.ts';
import { newId } from '../lib/ids.ts';
import { mediaStoreOf } from '../media/store.factory.ts';
import { emailChangeCodeEmail, emailChangedEmail, emailChangeTakenEmail } from './account.emails.ts';
import type { ChangeEmailInput } from './account.schema.ts';
import { confirmPassword } from './password-confirm.ts';
import { recordSecurityEvent } from './security-log.ts';

const PURPOSE = 'email_change';

const invalidCode = () => new AppError('invalid_code', 'The code is wrong or has expired');
const taken = () => new AppError('conflict', 'This email is already taken', { field: 'email' });

/** The wrong-code cooldown's key: per account, since the code is typed by the signed-in user. */
const cooldownKey = (userId: string) => `email-change:${userId}`;

/** A new code for the address, replacing any earlier email-change code (and its address) of the user. */
async function storeCode(db: Executor, userId: string, newEmail: string, code: string): Promise<void> {
  await db
    .insertInto('one_time_codes')
    .values({
      id: newId(),
      user_id: userId,
      purpose: PURPOSE,
      code_hash: hashCode(userId, PURPOSE, code),
      new_email: newEmail,
      expires_at: new Date(Date.now() + CODE_TTL_MS),
    })
    .onConflict((oc) =>
      oc.columns(['user_id', 'purpose']).doUpdateSet((eb) => ({
        id: eb.ref('excluded.id'),
        code_hash: eb.ref('excluded.code_hash'),
        new_email: eb.ref('excluded.new_email'),
        expires_at: eb.ref('excluded.expires_at'),
        attempts: 0,
        created_at: new Date(),
      })),
    )
    .execute();
}

/**
 * 202 whether or not the address is free: an address with an account gets a notice instead of a code, so
 * the requester cannot probe which addresses have accounts (registration, behind its CAPTCHA, is the one
 * place that tells).
 */
export async function requestEmailChange(
  ctx: AuthContext,
  actor: Actor,
  input: ChangeEmailInput,
): Promise<void> {
  const user = await findUserById(ctx.db, actor.userId);
  if (!user) throw unauthenticated();
  await confirmPassword(ctx, user, input.password);
  if (input.newEmail.toLowerCase() === user.email.toLowerCase()) {
    throw new AppError('validation_failed', 'This is already your email address', {
      issues: [{ path: 'newEmail', message: 'is already your address' }],
    });
  }
  await ctx.limits.emailChangePerUser.consume(user.id);
  if (await findUserByEmail(ctx.db, input.newEmail)) {
    await queueAccountEmail(ctx, emailChangeTakenEmail(input.newEmail));
    return;
  }
  const code = randomInt(0, 1_000_000).toString().padStart(6, '0');
  await storeCode(ctx.db, user.id, input.newEmail, code);
  await queueAccountEmail(ctx, emailChangeCodeEmail(input.newEmail, user.username, code));
}

export async function verifyEmailChange(
  ctx: AuthContext,
  actor: Actor,
  code: string,
  client: ClientInfo,
): Promise<Me> {
  await ctx.limits.codeVerifyPerIp.consume(client.ip);
  await ctx.cooldown.reserve(cooldownKey(actor.userId));
  const moved = await ctx.db.transaction().execute(async (trx) => {
    const pending = await trx
      .selectFrom('one_time_codes')
      .select('new_email')
      .where('user_id', '=', actor.userId)
      .where('purpose', '=', PURPOSE)
      .forUpdate()
      .executeTakeFirst();
    const ok = await tryCode(trx, {
      userId: actor.userId,
      purpose: PURPOSE,
      codeHash: hashCode(actor.userId, PURPOSE, code),
    });
    if (!ok || !pending?.new_email) return null;
    const before = await trx
      .selectFrom('users')
      .select('email')
      .where('id', '=', actor.userId)
      .forUpdate()
      .executeTakeFirstOrThrow();
    const updated = await trx
      .updateTable('users')
      .set((eb) => ({
        email: pending.new_email as string,
        email_verified_at: eb.fn.coalesce('email_verified_at', eb.val(new Date())),
      }))
      .where('id', '=', actor.userId)
      .returning('email')
      .executeTakeFirst()
      .catch((error: unknown) => {
        // The address was taken after the code was sent; the code proved the mailbox, so saying so is fine.
        if ((error as { code?: string })?.code === '23505') throw taken();
        throw error;
      });
    if (!updated) throw unauthenticated();
    // Codes and links already sent to the old address die with it.
    await deleteCodes(trx, actor.userId, 'login');
    await deleteCodes(trx, actor.userId, 'password_reset');
    await recordSecurityEvent(trx, { userId: actor.userId, type: 'email_changed', ...client });
    return { oldEmail: before.email, newEmail: updated.email };
  });
  if (!moved) throw invalidCode();
  await ctx.cooldown.clear(cooldownKey(actor.userId));
  await queueAccountEmail(ctx, emailChangedEmail(moved.oldEmail, moved.newEmail, ctx.config.publicUrl));
  return loadMe(ctx.db, actor.userId, mediaStoreOf(ctx.config));
}
