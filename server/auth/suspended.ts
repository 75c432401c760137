// What a suspended account may still do: sign in, read who it is, export its data, delete itself, sign out,
// and reach the pages for those. One allow-list, checked by the session middleware for every request; the
// socket handshake refuses a suspended account outright (a socket is for taking part, which it may not).
import { AppError } from '../lib/errors.ts';
import type { Actor } from './actor.ts';

export const SUSPENDED_MESSAGE =
  'This account is suspended. You can still export your data or delete the account at /settings.';

/** `METHOD path-pattern` pairs; `:id` matches one path segment. GET entries admit HEAD too. */
const ALLOWED: ReadonlyArray<readonly [string, RegExp]> = [
  ['GET', /^\/api\/v1\/me$/],
  ['POST', /^\/api\/v1\/me\/export$/],
  ['GET', /^\/api\/v1\/me\/exports$/],
  ['GET', /^\/api\/v1\/me\/exports\/[^/]+\/download$/],
  ['DELETE', /^\/api\/v1\/me$/],
  ['POST', /^\/api\/v1\/auth\/logout$/],
  // The pages that reach them: /settings (its export and deletion sections only), their forms, log out.
  ['GET', /^\/settings$/],
  ['POST', /^\/settings\/export$/],
  ['POST', /^\/settings\/delete-account$/],
  ['POST', /^\/logout$/],
  // The stylesheet and script those pages load.
  ['GET', /^\/assets\/[^/]+$/],
];

/** True when a suspended account may make this request. */
export function suspendedMayUse(method: string, path: string): boolean {
  const verb = method === 'HEAD' ? 'GET' : method;
  return ALLOWED.some(([m, pattern]) => m === verb && pattern.test(path));
}

/** The 403 every other request of a suspended account gets (`details.suspended` lets pages link /settings). */
export const suspendedRefusal = (): AppError =>
  new AppError('forbidden', SUSPENDED_MESSAGE, { suspended: true, settings: '/settings' });

/** Throws the refusal unless the actor is active or the request is on the allow-list. */
export function assertSuspendedMayUse(actor: Actor | null, method: string, path: string): void {
  if (actor?.suspended && !suspendedMayUse(method, path)) throw suspendedRefusal();
}
