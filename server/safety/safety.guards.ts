// What other features ask of blocks before acting or showing: 403 for what the blocked may not do to the
// blocker, 404 for what of the blocker they may not see. Kept apart from the service so that features the
// service builds on (social) can call them without a cycle.
import { type Actor, hasRole } from '../auth/actor.ts';
import type { Executor } from '../db/database.ts';
import { forbidden, notFound } from '../lib/errors.ts';
import { blocks } from './safety.repository.ts';

/**
 * 403 when `ownerId` blocks the actor: following, commenting on, liking, joining an event of, or sending
 * money to someone who blocked you. Moderators are never blocked, so they pass.
 */
export async function refuseIfBlockedBy(db: Executor, actor: Actor, ownerId: string): Promise<void> {
  if (ownerId === actor.userId || hasRole(actor, 'moderator')) return;
  if (await blocks(db, ownerId, actor.userId)) throw forbidden('This user has blocked you');
}

/** 404 (`what` not found) when `ownerId` blocks the viewer: the blocker's posts, comments and profile. */
export async function hideIfBlockedBy(
  db: Executor,
  viewer: Actor | null,
  ownerId: string,
  what: string,
): Promise<void> {
  if (!viewer || ownerId === viewer.userId) return;
  if (await blocks(db, ownerId, viewer.userId)) throw notFound(what);
}
