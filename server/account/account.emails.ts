// The emails of account self-service. Plain text, like the other account emails; they go through
// queueAccountEmail (sealed in the queue: they name addresses, networks and devices, or carry a code).
import type { EmailMessage } from '../jobs/email-seal.ts';
import { deviceOf } from '../pages/components/device.ts';

const sessionsLink = (publicUrl: URL) => new URL('/settings#sessions', publicUrl).toString();

export const passwordChangedEmail = (to: string, publicUrl: URL): EmailMessage => ({
  to,
  subject: 'Your Plaza password was changed',
  text: `The password of your Plaza account was just changed, and every other device was signed out.\n\nIf it was not you, reset your password now from the sign-in page ("Forgot your password?") and check where you are signed in:\n${sessionsLink(publicUrl)}\n`,
});

export const emailChangeCodeEmail = (to: string, username: string, code: string): EmailMessage => ({
  to,
  subject: `Your Plaza email change code: ${code}`,
  text: `@${username} asked to use this address for their Plaza account.\n\nTheir confirmation code is ${code}\n\nIt expires in 15 minutes. If you did not ask for it, do not enter it anywhere; nothing changes without it.\n`,
});

/** To an address that already has an account: the requester learns nothing, the owner learns of it. */
export const emailChangeTakenEmail = (to: string): EmailMessage => ({
  to,
  subject: 'Someone tried to move a Plaza account to this address',
  text: `Someone signed in to Plaza asked to change their account's email to this address. A Plaza account already uses it, so nothing changed and no code was sent.\n\nIf it was you, use this account instead, or choose another address. If it was not, you need not do anything.\n`,
});

export const emailChangedEmail = (to: string, newEmail: string, publicUrl: URL): EmailMessage => ({
  to,
  subject: 'Your Plaza email address was changed',
  text: `The email address of your Plaza account was changed to ${newEmail}. Emails now go there, and this address no longer signs in.\n\nIf it was not you, someone has access to your account: sign in by code is no longer possible from this address, so contact the operators of this Plaza, and check where you are signed in:\n${sessionsLink(publicUrl)}\n`,
});

export interface NewSignIn {
  at: Date;
  ip: string;
  userAgent: string;
  network: string;
}

export const newSignInEmail = (to: string, signIn: NewSignIn, publicUrl: URL): EmailMessage => ({
  to,
  subject: 'New sign-in to your Plaza account',
  text: `Your Plaza account was signed in to from a network it has not used in the last 90 days.\n\nWhen: ${signIn.at.toUTCString()}\nDevice: ${deviceOf(signIn.userAgent)}\nNetwork: ${signIn.network} (address ${signIn.ip})\n\nIf it was you, there is nothing to do. If not, sign that device out and change your password:\n${sessionsLink(publicUrl)}\n`,
});
