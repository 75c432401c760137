// A sign-in with nothing to alert about — nearly all of them — in one statement: the user's row locked, the
// alert's question asked (account/sign-in-alerts.ts), and only when the answer is "no alert", the session and
// its security-log entry written; the follow counts of the answer's `Me` ride along. One round trip in
// autocommit, where the transaction it replaces took five (begin, session, check, log entry, commit) plus a
// query for the counts: at login's rate that was a fifth of the request loop's CPU per sign-in.
import { sql } from 'kysely';
import { signInNetworkOf } from '../account/security-log.ts';
import { alerts, type SignInHistory, type SignInRecord, signInHistory } from '../account/sign-in-alerts.ts';
import type { Executor } from '../db/database.ts';
import { newId } from '../lib/ids.ts';
import type { FollowCounts } from './accounts.repository.ts';
import { type NewSession, newSessionCredentials, storedUserAgent } from './sessions.ts';

interface QuietSignInRow extends SignInHistory {
  followerCount: string | number;
  followingCount: string | number;
  followedByMe: boolean;
}

/**
 * The new session and the user's follow counts (as the user sees themself), or null when nothing was
 * written: the sign-in is one to alert about, or the user is gone. The caller then signs in through the
 * transaction that also notifies (sessions.service.ts), which asks again under its own lock.
 * The decision is made as recordSignIn makes it: in one statement holding the user's row lock.
 */
export async function signInQuietly(
  db: Executor,
  input: SignInRecord,
): Promise<{ session: NewSession; counts: FollowCounts } | null> {
  const { token, sessionId, secretHash, expiresAt } = newSessionCredentials();
  const network = signInNetworkOf(input.ip);
  const userAgent = storedUserAgent(input.userAgent);
  // The inserts read `quiet`, which reads the locked row: they run after the lock, and only without an alert.
  const { rows } = await sql<QuietSignInRow>`/* prepare:quiet-sign-in */
    with u as (
      select id from users where id = ${input.userId}::uuid for no key update
    ), seen as (
      select u.id, ${signInHistory(network)} from u
    ), quiet as (
      select id from seen where not (seen.before and not seen.known)
    ), new_session as (
      insert into sessions (id, secret_hash, user_id, user_agent, expires_at)
      select ${sessionId}::text, ${secretHash}::bytea, id, ${userAgent}::text, ${expiresAt}::timestamptz
      from quiet
    ), logged as (
      insert into security_events (id, user_id, type, ip, user_agent, network, created_at)
      select ${newId()}::uuid, id, ${input.type}::text, ${input.ip.slice(0, 100)}::text, ${userAgent}::text,
        ${network}::text, ${new Date()}::timestamptz
      from quiet
    )
    select seen.before, seen.known,
      (select count(*) from follows where followee_id = seen.id) as "followerCount",
      (select count(*) from follows where follower_id = seen.id) as "followingCount",
      exists (select from follows where followee_id = seen.id and follower_id = seen.id) as "followedByMe"
    from seen`.execute(db);
  const row = rows[0];
  if (!row || alerts(row)) return null;
  return {
    session: { token, sessionId, expiresAt },
    counts: {
      followerCount: Number(row.followerCount),
      followingCount: Number(row.followingCount),
      followedByMe: Boolean(row.followedByMe),
    },
  };
}
