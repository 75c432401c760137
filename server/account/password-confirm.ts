// The password a signed-in user types to confirm a sensitive change, counted like login guesses.
import type { AuthContext } from '../auth/auth.context.ts';
import { verifyPassword } from '../auth/passwords.ts';
import type { UserRow } from '../db/schema.ts';
import { forbidden } from '../lib/errors.ts';

/**
 * 403 `forbidden` unless `password` is the user's; every try counts against passwordConfirmPerUser (429 past
 * it) and a right one gives its try back, as a right login password does.
 */
export async function confirmPassword(ctx: AuthContext, user: UserRow, password: string): Promise<void> {
  await ctx.limits.passwordConfirmPerUser.consume(user.id);
  if (!(await verifyPassword(user.password_hash, password))) {
    throw forbidden(
      user.password_hash === null
        ? 'Your account has no password yet: set one with "Forgot your password?" on the sign-in page'
        : 'The current password is wrong',
    );
  }
  await ctx.limits.passwordConfirmPerUser.refund(user.id);
}
