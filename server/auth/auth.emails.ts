// The account emails, sent through the email queue. Plain text: codes and links must survive any client.
import type { Deps } from '../deps.ts';
import { type EmailMessage, emailSealKey, sealEmail } from '../jobs/email-seal.ts';
import { secretEmailJobOptions } from '../jobs/queues.ts';

/** Every account email holds a code or link: it is queued sealed, and removed from Redis once sent. */
export const queueAccountEmail = (deps: Pick<Deps, 'queues' | 'config'>, message: EmailMessage) =>
  deps.queues.add(
    'email',
    sealEmail(emailSealKey(deps.config.captchaHmacKey), message),
    secretEmailJobOptions,
  );

/**
 * Names the account signed up for: entering the code adopts that registration, password included, so the
 * owner of an address someone else registered can tell it is not theirs (they sign in by code instead).
 */
export const verificationEmail = (user: { email: string; username: string }, code: string): EmailMessage => ({
  to: user.email,
  subject: `Your Plaza verification code: ${code}`,
  text: `Welcome to Plaza!\n\nYour verification code is ${code}\n\nIt confirms the sign-up of @${user.username} with this address and expires in 15 minutes. If you did not sign up as @${user.username}, do not enter it; to use Plaza with this address, sign in with a one-time code instead (that drops any password someone else chose).\n`,
});

export const loginCodeEmail = (to: string, code: string): EmailMessage => ({
  to,
  subject: `Your Plaza sign-in code: ${code}`,
  text: `Your sign-in code is ${code}\n\nIt expires in 15 minutes and works once. If you did not ask for it, ignore this email.\n`,
});

export const passwordResetEmail = (to: string, link: string): EmailMessage => ({
  to,
  subject: 'Reset your Plaza password',
  text: `Someone asked to reset the password of your Plaza account.\n\nTo choose a new one, open:\n${link}\n\nThe link expires in one hour and works once. If it was not you, ignore this email.\n`,
});
