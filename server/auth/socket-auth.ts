// Socket handshake authentication: `auth.token`, else the session cookie; neither → anonymous, read-only.
import { parse } from 'hono/utils/cookie';
import type { Db } from '../db/database.ts';
import { unauthenticated } from '../lib/errors.ts';
import type { PlazaSocket } from '../realtime/socket-types.ts';
import type { Actor } from './actor.ts';
import { isSameOrigin } from './session.middleware.ts';
import type { SessionCache } from './session-cache.ts';
import { SESSION_COOKIE, validateSessionToken } from './sessions.ts';

export function socketAuthenticator(
  db: Db,
  publicUrl: URL,
  cache?: SessionCache,
): (socket: PlazaSocket) => Promise<Actor | null> {
  return async (socket) => {
    const auth = socket.handshake.auth as { token?: unknown } | undefined;
    if (typeof auth?.token === 'string' && auth.token.length > 0) {
      const session = await validateSessionToken(db, auth.token, cache);
      if (!session) throw unauthenticated();
      return session.actor;
    }
    const cookie = socket.handshake.headers.cookie;
    const token = cookie ? parse(cookie, SESSION_COOKIE)[SESSION_COOKIE] : undefined;
    if (!token) return null;
    // A cookie rides along with cross-site requests; only our own pages may use it.
    const host = socket.handshake.headers.host;
    const own = [publicUrl.origin, ...(host ? [`http://${host}`, `https://${host}`] : [])];
    if (!isSameOrigin(socket.handshake.headers, own)) return null;
    return (await validateSessionToken(db, token, cache))?.actor ?? null;
  };
}
