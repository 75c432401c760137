// Socket handshake authentication: `auth.token`, else the session cookie; neither → anonymous, read-only.
// A suspended account's socket is refused at the handshake (auth/suspended.ts: no taking part).
import { parse } from 'hono/utils/cookie';
import type { Db } from '../db/database.ts';
import { unauthenticated } from '../lib/errors.ts';
import type { PlazaSocket } from '../realtime/socket-types.ts';
import type { Actor } from './actor.ts';
import { isSameOrigin } from './session.middleware.ts';
import type { SessionCache } from './session-cache.ts';
import { SESSION_COOKIE, validateSessionToken } from './sessions.ts';
import { suspendedRefusal } from './suspended.ts';

/** The token a socket's handshake presented: `auth.token`, else the session cookie. */
function handshakeToken(socket: PlazaSocket): { token: string; cookie: boolean } | null {
  const auth = socket.handshake.auth as { token?: unknown } | undefined;
  if (typeof auth?.token === 'string' && auth.token.length > 0) return { token: auth.token, cookie: false };
  const cookie = socket.handshake.headers.cookie;
  const token = cookie ? parse(cookie, SESSION_COOKIE)[SESSION_COOKIE] : undefined;
  return token ? { token, cookie: true } : null;
}

export function socketAuthenticator(
  db: Db,
  publicUrl: URL,
  cache?: SessionCache,
): (socket: PlazaSocket) => Promise<Actor | null> {
  return async (socket) => {
    const presented = handshakeToken(socket);
    if (!presented) return null;
    if (!presented.cookie) {
      const session = await validateSessionToken(db, presented.token, cache);
      if (!session) throw unauthenticated();
      if (session.actor.suspended) throw suspendedRefusal();
      return session.actor;
    }
    // A cookie rides along with cross-site requests; only our own pages may use it.
    const host = socket.handshake.headers.host;
    const own = [publicUrl.origin, ...(host ? [`http://${host}`, `https://${host}`] : [])];
    if (!isSameOrigin(socket.handshake.headers, own)) return null;
    const actor = (await validateSessionToken(db, presented.token, cache))?.actor ?? null;
    if (actor?.suspended) throw suspendedRefusal();
    return actor;
  };
}

/**
 * The actor of one socket command. A socket lives for hours; what its handshake read (a role, a session
 * not yet revoked, an account not yet suspended) must not outlive a change, so each command validates
 * the handshake's session again as a REST request does: from the session cache, which every revocation,
 * suspension and role change forgets on every instance before it answers. A session gone since the
 * handshake ends the socket.
 */
export function socketActorRefresher(
  db: Db,
  cache?: SessionCache,
): (socket: PlazaSocket) => Promise<Actor | null> {
  return async (socket) => {
    const held = socket.data.actor;
    if (!held) return null;
    const presented = handshakeToken(socket);
    // A moderator's or admin's powers are read from PostgreSQL itself: no message, lost or late,
    // stands between a demotion's commit and their next command. Members' come from the cache.
    const from = held.role === 'member' ? cache : undefined;
    const session = presented ? await validateSessionToken(db, presented.token, from) : null;
    if (!session || session.actor.sessionId !== held.sessionId) {
      socket.disconnect(true);
      throw unauthenticated();
    }
    // Suspended since the handshake without its sessions revoked (suspension revokes them; a direct
    // database change does not): the socket goes as a revoked one would.
    if (session.actor.suspended) {
      socket.disconnect(true);
      throw suspendedRefusal();
    }
    socket.data.actor = session.actor;
    return session.actor;
  };
}
