// Sign-ins in the security log, and the alert for one from a new network: "a sign-in from a network
// (IPv4 /16, IPv6 /48) this account has not signed in from in 90 days sends a `new_sign_in` notification
// and email; the very first sign-in does not" (API.md).
import { type RawBuilder, sql } from 'kysely';
import { queueAccountEmail } from '../auth/auth.emails.ts';
import type { Trx } from '../db/database.ts';
import type { Deps } from '../deps.ts';
import { notify } from '../notifications/notifications.service.ts';
import { deviceOf } from '../pages/components/device.ts';
import { type NewSignIn, newSignInEmail } from './account.emails.ts';
import { recordSecurityEvent, signInNetworkOf } from './security-log.ts';

export const KNOWN_NETWORK_DAYS = 90;

export interface SignInRecord {
  userId: string;
  /** `login` (password) or `login_code` (an emailed code: sign-in codes and the verification code). */
  type: 'login' | 'login_code';
  ip: string;
  userAgent: string;
}

/** What the alert asks of an account's sign-ins before this one. */
export interface SignInHistory {
  /** It signed in before at all (by password or code). */
  before: boolean;
  /** …from this network within KNOWN_NETWORK_DAYS. */
  known: boolean;
}

/**
 * The two columns of SignInHistory for the user row aliased `u`, from `network`: one text for both
 * statements that decide (recordSignIn and auth/quiet-sign-in.ts), so they always decide alike.
 */
export const signInHistory = (network: string): RawBuilder<SignInHistory> => sql`
      exists (select 1 from security_events
        where user_id = u.id and type in ('login', 'login_code')) as before,
      exists (select 1 from security_events
        where user_id = u.id and type in ('login', 'login_code') and network = ${network}
          and created_at > now() - make_interval(days => ${KNOWN_NETWORK_DAYS})) as known`;

/** A sign-in is alerted when the account signed in before, never from its network (the first one is not). */
export const alerts = (seen: SignInHistory | undefined): boolean => seen?.before === true && !seen.known;

/**
 * Records a sign-in in the caller's transaction (the one creating the session) and, from a network new
 * to the account, its notification; the alert email is the caller's to queue after commit. The user's row
 * is locked first, so two sign-ins at once are judged one after the other: of two first sign-ins, the
 * second sees the first.
 */
export async function recordSignIn(trx: Trx, input: SignInRecord): Promise<NewSignIn | null> {
  const network = signInNetworkOf(input.ip);
  const { rows } = await sql<SignInHistory>`
    select ${signInHistory(network)} from users u where u.id = ${input.userId}
    for no key update of u`.execute(trx);
  const at = await recordSecurityEvent(trx, input);
  if (!alerts(rows[0])) return null;
  await notify(trx, {
    userId: input.userId,
    type: 'new_sign_in',
    title: 'New sign-in from a new network',
    body: `${deviceOf(input.userAgent)}, network ${network}. Not you? Sign that device out and change your password.`,
    url: '/settings#sessions',
  });
  return { at, ip: input.ip, userAgent: input.userAgent, network };
}

/** After commit: the alert's email. A queue failure is logged, never a failed sign-in. */
export async function queueSignInAlert(
  deps: Pick<Deps, 'queues' | 'config' | 'logger'>,
  to: string,
  signIn: NewSignIn,
): Promise<void> {
  await queueAccountEmail(deps, newSignInEmail(to, signIn, deps.config.publicUrl)).catch((error: unknown) =>
    deps.logger.warn({ err: error }, 'could not queue the new sign-in email'),
  );
}
