// Who is calling: the session from `Authorization: Bearer` or the `plaza_session` cookie, as `c.var.actor`.
// Cookie-authenticated unsafe requests must come from our own origin (CSRF); bearer ones are exempt.
// A suspended account gets 403 on everything but what auth/suspended.ts allows, here and only here.
import type { Role } from '@plaza/client/protocol';
import type { Context, MiddlewareHandler } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { Db } from '../db/database.ts';
import type { AppEnv } from '../http/env.ts';
import { forbidden, unauthenticated } from '../lib/errors.ts';
import { assertRole } from './actor.ts';
import type { SessionCache } from './session-cache.ts';
import { SESSION_COOKIE, validateSessionToken } from './sessions.ts';
import { assertSuspendedMayUse } from './suspended.ts';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export interface SessionMiddlewareDeps {
  db: Db;
  publicUrl: URL;
  sessionCache?: SessionCache;
}

/** Same-origin check for cookie-authenticated requests: Origin first, then Sec-Fetch-Site. */
export function isSameOrigin(
  headers: Headers | Record<string, string | string[] | undefined>,
  own: string[],
): boolean {
  const get = (name: string) =>
    headers instanceof Headers ? headers.get(name) : ((headers[name] as string | undefined) ?? null);
  const origin = get('origin');
  if (origin) return own.includes(origin);
  const site = get('sec-fetch-site');
  return site === null || site === 'same-origin' || site === 'none';
}

export function sessionMiddleware(deps: SessionMiddlewareDeps): MiddlewareHandler<AppEnv> {
  const secure = deps.publicUrl.protocol === 'https:';
  return async (c, next) => {
    c.set('actor', null);
    const authorization = c.req.header('authorization');
    if (authorization) {
      const match = /^Bearer\s+(\S+)$/i.exec(authorization);
      const session = match ? await validateSessionToken(deps.db, match[1]!, deps.sessionCache) : null;
      // A client that sends a token wants to be someone: a bad one is an error, not anonymity.
      if (!session) throw unauthenticated();
      c.set('actor', session.actor);
      assertSuspendedMayUse(session.actor, c.req.method, c.req.path);
      return next();
    }

    const token = getCookie(c, SESSION_COOKIE);
    if (token) {
      if (!SAFE_METHODS.has(c.req.method)) {
        const own = [deps.publicUrl.origin, new URL(c.req.url).origin];
        if (!isSameOrigin(c.req.raw.headers, own)) throw forbidden('Cross-origin request refused');
      }
      const session = await validateSessionToken(deps.db, token, deps.sessionCache);
      if (session) {
        c.set('actor', session.actor);
        if (session.refreshed) setSessionCookie(c, token, session.expiresAt, secure);
        assertSuspendedMayUse(session.actor, c.req.method, c.req.path);
      } else {
        deleteCookie(c, SESSION_COOKIE, { path: '/' });
      }
    }
    return next();
  };
}

export function setSessionCookie(c: Context, token: string, expiresAt: Date, secure: boolean): void {
  setCookie(c, SESSION_COOKIE, token, {
    path: '/',
    httpOnly: true,
    sameSite: 'Lax',
    secure,
    expires: expiresAt,
  });
}

export function clearSessionCookie(c: Context): void {
  deleteCookie(c, SESSION_COOKIE, { path: '/' });
}

/**
 * The middleware that answer 401 to anonymous callers: the OpenAPI document marks a route whose
 * middleware includes one of these as needing credentials, so its padlock can't drift from the code.
 */
export const signInRequired = new WeakSet<MiddlewareHandler<AppEnv>>();

/** 401 unless signed in. */
export const requireActor: MiddlewareHandler<AppEnv> = async (c, next) => {
  if (!c.var.actor) throw unauthenticated();
  return next();
};
signInRequired.add(requireActor);

/** 401 unless signed in, 403 unless the actor holds `role` or higher. */
export const requireRole = (role: Role): MiddlewareHandler<AppEnv> => {
  const middleware: MiddlewareHandler<AppEnv> = async (c, next) => {
    assertRole(c.var.actor, role);
    return next();
  };
  signInRequired.add(middleware);
  return middleware;
};
