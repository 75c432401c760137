// Sessions per the Lucia guide ("Sessions → Basic"), on @oslojs: a `<id>.<secret>` token for the client;
// the id and the SHA-256 of the secret in PostgreSQL; constant-time comparison; 30-day sliding expiry.

import { createHash, randomBytes } from 'node:crypto';
import { constantTimeEqual } from '@oslojs/crypto/subtle';
import { encodeBase32LowerCaseNoPadding } from '@oslojs/encoding';
import type { Role } from '@plaza/client/protocol';
import { sql } from 'kysely';
import { batchedLookup } from '../db/batched-lookup.ts';
import type { Executor, Trx } from '../db/database.ts';
import { preparedQuery } from '../db/plaza-dialect.ts';
import { appendEvents } from '../realtime/event-log.ts';
import { type Actor, sessionRoom } from './actor.ts';
import type { SessionCache } from './session-cache.ts';

export const SESSION_COOKIE = 'plaza_session';
const DAY_MS = 24 * 60 * 60 * 1_000;
export const SESSION_TTL_MS = 30 * DAY_MS;
/** Extend on use once less than this remains, so an active session never expires. */
const REFRESH_BELOW_MS = 15 * DAY_MS;
/** last_seen_at is refreshed at most this often, to keep reads from turning into writes. */
const SEEN_RESOLUTION_MS = 5 * 60 * 1_000;

// node:crypto rather than WebCrypto's getRandomValues and @oslojs's SHA-256 in JavaScript: the same bytes
// for a tenth of the CPU, on every sign-in and every session validated.
const hashSecret = (secret: string): Uint8Array => createHash('sha256').update(secret, 'utf8').digest();

export interface NewSession {
  /** Give this to the client once; it is never stored. */
  token: string;
  sessionId: string;
  expiresAt: Date;
}

export interface ValidSession {
  actor: Actor;
  expiresAt: Date;
  /** True when the expiry moved: a cookie should be set again. */
  refreshed: boolean;
}

/** A new session's token and what is stored of it (the secret only hashed). */
export interface SessionCredentials extends NewSession {
  secretHash: Uint8Array;
}

/** A session's id and secret: 120 bits (public, for listing and revoking) and 160 (≥ 160, the contract). */
const ID_BYTES = 15;
const SESSION_RANDOM_BYTES = ID_BYTES + 20;
/**
 * Drawn per session, not from a pool: a pool would keep the secrets of sessions not created yet in memory,
 * where a heap dump or a memory disclosure would hand them out (it saved ~2 % of login's request loop).
 */
const sessionRandom = (): Buffer => randomBytes(SESSION_RANDOM_BYTES);

export function newSessionCredentials(): SessionCredentials {
  const random = sessionRandom();
  const sessionId = encodeBase32LowerCaseNoPadding(random.subarray(0, ID_BYTES));
  const secret = encodeBase32LowerCaseNoPadding(random.subarray(ID_BYTES));
  const expiresAt = new Date(Date.now() + SESSION_TTL_MS);
  return { token: `${sessionId}.${secret}`, sessionId, secretHash: hashSecret(secret), expiresAt };
}

/** The user agent as stored with a session (and in the security log). */
export const storedUserAgent = (userAgent: string): string => userAgent.slice(0, 300);

export async function createSession(db: Executor, userId: string, userAgent = ''): Promise<NewSession> {
  const { token, sessionId, secretHash, expiresAt } = newSessionCredentials();
  const insert = db.insertInto('sessions').values({
    id: sessionId,
    secret_hash: secretHash,
    user_id: userId,
    user_agent: storedUserAgent(userAgent),
    expires_at: expiresAt,
  });
  await db.executeQuery(preparedQuery('insert-session', insert));
  return { token, sessionId, expiresAt };
}

/**
 * The actor behind a token, or null for anything malformed, unknown or expired. A suspended user's actor is
 * marked `suspended`: the session middleware admits it only where auth/suspended.ts allows.
 * With a `cache`, a session validated in the last few seconds costs no query (see session-cache.ts).
 */
export async function validateSessionToken(
  db: Executor,
  token: string,
  cache?: SessionCache,
): Promise<ValidSession | null> {
  const [sessionId, secret, extra] = token.split('.');
  if (!sessionId || !secret || extra !== undefined || sessionId.length > 64 || secret.length > 64)
    return null;
  const cached = cache?.lookup(token);
  if (cached) return cached;
  const epoch = cache?.begin() ?? 0;
  const session = await readSession(db, sessionId, secret);
  if (session) cache?.remember(token, session, epoch);
  return session;
}

interface SessionRow {
  id: string;
  secret_hash: Buffer;
  expires_at: Date;
  last_seen_at: Date;
  user_id: string;
  username: string;
  role: string;
  suspended_at: Date | null;
}

/** Sessions with their users by id; concurrent validations share one query (batched-lookup.ts). */
const sessionById = batchedLookup<string, SessionRow>(async (db, ids) => {
  const { rows } = await sql<SessionRow>`
    /* prepare:sessions-by-id */
    select s.id, s.secret_hash, s.expires_at, s.last_seen_at, u.id as user_id, u.username, u.role,
      u.suspended_at
    from sessions s join users u on u.id = s.user_id
    where s.id = any(${ids as string[]}::text[])`.execute(db);
  return new Map(rows.map((row) => [row.id, row]));
});

async function readSession(db: Executor, sessionId: string, secret: string): Promise<ValidSession | null> {
  const row = await sessionById(db, sessionId);
  if (!row || !constantTimeEqual(hashSecret(secret), new Uint8Array(row.secret_hash))) return null;

  const now = Date.now();
  if (row.expires_at.getTime() <= now) {
    await db.deleteFrom('sessions').where('id', '=', sessionId).execute();
    return null;
  }

  let expiresAt = row.expires_at;
  const refreshed = expiresAt.getTime() - now < REFRESH_BELOW_MS;
  if (refreshed) expiresAt = new Date(now + SESSION_TTL_MS);
  if (refreshed || now - row.last_seen_at.getTime() > SEEN_RESOLUTION_MS) {
    await db
      .updateTable('sessions')
      .set({ expires_at: expiresAt, last_seen_at: new Date(now) })
      .where('id', '=', sessionId)
      .execute();
  }
  return {
    actor: {
      userId: row.user_id,
      username: row.username,
      sessionId,
      role: row.role as Role,
      ...(row.suspended_at ? { suspended: true } : {}),
    },
    expiresAt,
    refreshed,
  };
}

/**
 * Revokes sessions inside the caller's transaction. Each gets a `session:revoked` push; the relay
 * disconnects that session's sockets on every instance right after delivering it. `exceptSessionId`
 * keeps the caller's own (a password change signs out every other device).
 */
export async function revokeSessions(
  trx: Trx,
  where: { sessionId: string } | { userId: string; exceptSessionId?: string },
): Promise<string[]> {
  const query = trx.deleteFrom('sessions').returning(['id', 'user_id']);
  const rows = await ('sessionId' in where
    ? query.where('id', '=', where.sessionId)
    : where.exceptSessionId === undefined
      ? query.where('user_id', '=', where.userId)
      : query.where('user_id', '=', where.userId).where('id', '!=', where.exceptSessionId)
  ).execute();
  await appendEvents(
    trx,
    rows.map((row) => ({
      type: 'session:revoked' as const,
      topic: 'me',
      rooms: [sessionRoom(row.id)],
      data: { sessionId: row.id },
    })),
  );
  return rows.map((row) => row.id);
}

/**
 * The event-log type of a role change. It is never pushed to clients: the relay, delivering it, makes
 * every instance forget the user's sessions and drops their sockets (instance.ts), the durable second
 * word behind the request's own forget, as `session:revoked` is for revocations.
 */
export const ROLE_CHANGED = 'user:role-changed';

/** Records a role change in the caller's transaction, in a room no socket joins (`resume` never replays it). */
export async function recordRoleChange(trx: Trx, userId: string): Promise<void> {
  await trx
    .insertInto('event_log')
    .values({
      topic: 'internal',
      type: ROLE_CHANGED,
      rooms: [`internal:role:${userId}`],
      data: JSON.stringify({ userId }),
    })
    .execute();
}
