// POST /me/password: a new password, every other session revoked on every instance, and an email.

import { findUserById } from '../auth/accounts.repository.ts';
import type { Actor } from '../auth/actor.ts';
import type { AuthContext, ClientInfo } from '../auth/auth.context.ts';
import { queueAccountEmail } from '../auth/auth.emails.ts';
import { deleteCodes } from '../auth/codes.repository.ts';
import { hashPassword } from '../auth/passwords.ts';
import { revokeSessions } from '../auth/sessions.ts';
import { forgetSessions } from '../deps.ts';
import { AppError, unauthenticated } from '../lib/errors.ts';
import { passwordChangedEmail } from './account.emails.ts';
import type { ChangePasswordInput } from './account.schema.ts';
import { confirmPassword } from './password-confirm.ts';
import { recordSecurityEvent } from './security-log.ts';

export async function changePassword(
  ctx: AuthContext,
  actor: Actor,
  input: ChangePasswordInput,
  client: ClientInfo,
): Promise<void> {
  const user = await findUserById(ctx.db, actor.userId);
  if (!user) throw unauthenticated();
  await confirmPassword(ctx, user, input.currentPassword);
  const passwordHash = await hashPassword(input.newPassword);
  const revoked = await ctx.db.transaction().execute(async (trx) => {
    // Guarded on the hash just verified: of two changes at once, the second was confirmed with a password
    // that is no longer the account's.
    const changed = await trx
      .updateTable('users')
      .set({ password_hash: passwordHash })
      .where('id', '=', user.id)
      .where('password_hash', '=', user.password_hash)
      .returning('id')
      .executeTakeFirst();
    if (!changed) throw new AppError('conflict', 'Your password was changed meanwhile; sign in again');
    // A reset link already sent would undo this change: it dies with the old password.
    await deleteCodes(trx, user.id, 'password_reset');
    await recordSecurityEvent(trx, { userId: user.id, type: 'password_changed', ...client });
    return revokeSessions(trx, { userId: user.id, exceptSessionId: actor.sessionId });
  });
  await forgetSessions(ctx, { sessionIds: revoked });
  await queueAccountEmail(ctx, passwordChangedEmail(user.email, ctx.config.publicUrl));
}
