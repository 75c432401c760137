// Signing in (a new session for a user), listing one's sessions, and revoking them.
import type { Me } from '@plaza/client/protocol';
import { recordSecurityEvent } from '../account/security-log.ts';
import { queueSignInAlert, recordSignIn } from '../account/sign-in-alerts.ts';
import type { Db } from '../db/database.ts';
import type { UserRow } from '../db/schema.ts';
import { type Deps, type ForgetSessionsDeps, forgetSessions } from '../deps.ts';
import { notFound } from '../lib/errors.ts';
import { mediaStoreOf } from '../media/store.factory.ts';
import type { Actor } from './actor.ts';
import type { ClientInfo } from './auth.context.ts';
import { meOf, userRowToMe } from './me.ts';
import { signInQuietly } from './quiet-sign-in.ts';
import { createSession, revokeSessions } from './sessions.ts';

/** What revoking needs: the database, and whom to tell to forget cached sessions. */
type SessionDeps = Pick<Deps, 'db'> & ForgetSessionsDeps;

export interface SignedIn {
  user: Me;
  token: string;
  expiresAt: string;
}

export interface SessionInfo {
  id: string;
  createdAt: string;
  lastSeenAt: string;
  userAgent: string;
  current: boolean;
}

/**
 * A new session, recorded in the security log atomically with it (`how`: by password or by an emailed
 * code); a sign-in from a network new to the account is notified, and emailed after commit. Most sign-ins
 * alert nobody and take one statement (quiet-sign-in.ts); the others, a transaction.
 */
export async function signIn(
  deps: Pick<Deps, 'db' | 'queues' | 'config' | 'logger'>,
  user: UserRow,
  client: ClientInfo,
  how: 'login' | 'login_code',
): Promise<SignedIn> {
  const record = { userId: user.id, type: how, ...client };
  const quiet = await signInQuietly(deps.db, record);
  if (quiet) {
    return {
      user: meOf(user, quiet.counts, mediaStoreOf(deps.config)),
      token: quiet.session.token,
      expiresAt: quiet.session.expiresAt.toISOString(),
    };
  }
  // One to alert about (or racing the account's deletion): the transaction that also notifies decides again.
  // Independent: at once, on two pool connections.
  const [{ session, alert }, me] = await Promise.all([
    deps.db.transaction().execute(async (trx) => ({
      session: await createSession(trx, user.id, client.userAgent),
      alert: await recordSignIn(trx, record),
    })),
    userRowToMe(deps.db, user, user.id, mediaStoreOf(deps.config)),
  ]);
  if (alert) await queueSignInAlert(deps, user.email, alert);
  return {
    user: me,
    token: session.token,
    expiresAt: session.expiresAt.toISOString(),
  };
}

export async function listSessions(db: Db, actor: Actor): Promise<SessionInfo[]> {
  const rows = await db
    .selectFrom('sessions')
    .select(['id', 'created_at', 'last_seen_at', 'user_agent'])
    .where('user_id', '=', actor.userId)
    .where('expires_at', '>', new Date())
    .orderBy('created_at', 'desc')
    .orderBy('id')
    .execute();
  return rows.map((row) => ({
    id: row.id,
    createdAt: row.created_at.toISOString(),
    lastSeenAt: row.last_seen_at.toISOString(),
    userAgent: row.user_agent,
    current: row.id === actor.sessionId,
  }));
}

/** Revokes one of the actor's own sessions; another user's (or an unknown) id is 404, never a hint. */
export async function revokeOwnSession(
  deps: SessionDeps,
  actor: Actor,
  sessionId: string,
  client: ClientInfo,
): Promise<void> {
  await deps.db.transaction().execute(async (trx) => {
    const own = await trx
      .selectFrom('sessions')
      .select('id')
      .where('id', '=', sessionId)
      .where('user_id', '=', actor.userId)
      .forUpdate()
      .executeTakeFirst();
    if (!own) throw notFound('Session');
    await revokeSessions(trx, { sessionId });
    await recordSecurityEvent(trx, { userId: actor.userId, type: 'session_revoked', ...client });
  });
  await forgetSessions(deps, { sessionIds: [sessionId] });
}

export async function logout(deps: SessionDeps, actor: Actor | null): Promise<void> {
  if (!actor) return;
  await deps.db.transaction().execute((trx) => revokeSessions(trx, { sessionId: actor.sessionId }));
  await forgetSessions(deps, { sessionIds: [actor.sessionId] });
}
