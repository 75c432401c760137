// Who is acting: the authenticated user behind a request or socket, or null for anonymous.
import type { Role } from '@plaza/client/protocol';
import { forbidden, unauthenticated } from '../lib/errors.ts';

export interface Actor {
  userId: string;
  username: string;
  sessionId: string;
  role: Role;
  /** A suspended account: signed in, but only for what auth/suspended.ts allows (export, deletion, sign-out). */
  suspended?: boolean;
}

const rank: Record<Role, number> = { member: 0, moderator: 1, admin: 2 };

/** True when the actor holds `role` or a higher one. */
export const hasRole = (actor: Actor | null, role: Role): boolean =>
  actor !== null && rank[actor.role] >= rank[role];

/** The role guard for services and socket commands: 401 when anonymous, 403 below `role`. */
export function assertRole(actor: Actor | null, role: Role): Actor {
  if (!actor) throw unauthenticated();
  if (!hasRole(actor, role)) throw forbidden();
  return actor;
}

/** True when role `a` is strictly above role `b` (a moderator may act on members, not on peers). */
export const outranks = (a: Role, b: Role): boolean => rank[a] > rank[b];

/** Socket.IO room of every socket of a user (the private `me` topic). */
export const userRoom = (userId: string): string => `user:${userId}`;
/** Socket.IO room of every socket opened with one session (for revocation). */
export const sessionRoom = (sessionId: string): string => `session:${sessionId}`;
