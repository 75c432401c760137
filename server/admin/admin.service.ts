// Moderation of accounts: changing a role (admin) and suspending a user (moderator), never on oneself or a peer.
import type { Me, Role } from '@plaza/client/protocol';
import { findUserByUsername, markSuspended, setRole } from '../auth/accounts.repository.ts';
import { type Actor, outranks } from '../auth/actor.ts';
import { userRowToMe } from '../auth/me.ts';
import { recordRoleChange, revokeSessions } from '../auth/sessions.ts';
import type { Trx } from '../db/database.ts';
import { type Deps, type ForgetSessionsDeps, forgetSessions } from '../deps.ts';
import { forbidden, notFound } from '../lib/errors.ts';
import { mediaStoreOf } from '../media/store.factory.ts';
import { recordAudit } from '../moderation/audit.ts';

export type AdminDeps = Pick<Deps, 'db'> & ForgetSessionsDeps;

/** Sets `username`'s role. An admin cannot change their own (no accidental lock-out of the last admin). */
export async function changeRole(deps: AdminDeps, actor: Actor, username: string, role: Role): Promise<Me> {
  const user = await findUserByUsername(deps.db, username);
  if (!user) throw notFound('User');
  if (user.id === actor.userId) throw forbidden('You cannot change your own role');
  await applyRole(deps, user, role, actor.userId);
  return userRowToMe(deps.db, { ...user, role }, actor.userId, mediaStoreOf(deps.config));
}

/**
 * Sessions carry the role: every instance forgets the user's now, so their next request or socket command
 * has the new role; the relay, delivering the recorded change, says it again and drops their sockets
 * (whose rooms were joined with the old role) on every instance.
 */
async function applyRole(
  deps: AdminDeps,
  user: { id: string; role: string },
  role: Role,
  actorId: string | null,
): Promise<void> {
  if (user.role === role) return;
  await deps.db.transaction().execute(async (trx) => {
    await setRole(trx, user.id, role);
    await recordRoleChange(trx, user.id);
    // The CLI (no actor) is whoever owns the database, not a moderator's action.
    if (actorId) {
      await recordAudit(trx, {
        actorId,
        action: 'role_change',
        target: { type: 'user', id: user.id },
        note: `${user.role} → ${role}`,
      });
    }
  });
  await forgetSessions(deps, { userIds: [user.id] });
}

/**
 * Suspends `username`: every session dies at once (same transaction), sockets included; from now on a
 * sign-in gives a session that may only export the data and delete the account (auth/suspended.ts). Only
 * someone of a higher role may do it; suspending twice is harmless.
 */
export async function suspendUser(deps: AdminDeps, actor: Actor, username: string): Promise<void> {
  const user = await findUserByUsername(deps.db, username);
  if (!user) throw notFound('User');
  await deps.db.transaction().execute(async (trx) => {
    if (await suspendInTransaction(trx, actor, user)) {
      await recordAudit(trx, {
        actorId: actor.userId,
        action: 'suspend',
        target: { type: 'user', id: user.id },
      });
    }
  });
  await forgetSessions(deps, { userIds: [user.id] });
}

/**
 * The suspension itself, in the caller's transaction (a report resolved with `suspend_user` runs it in its
 * own); the caller tells instances to forget the sessions after commit. True when it newly suspended.
 */
export async function suspendInTransaction(
  trx: Trx,
  actor: Actor,
  user: { id: string; role: Role; suspended_at: Date | null },
): Promise<boolean> {
  if (user.id === actor.userId || !outranks(actor.role, user.role)) {
    throw forbidden('You can only suspend users of a lower role');
  }
  const already = user.suspended_at !== null;
  await markSuspended(trx, user.id);
  await revokeSessions(trx, { userId: user.id });
  return !already;
}

/** Lifts a suspension (moderator, over a lower role); unsuspending an active user changes nothing. */
export async function unsuspendUser(deps: AdminDeps, actor: Actor, username: string): Promise<void> {
  const user = await findUserByUsername(deps.db, username);
  if (!user) throw notFound('User');
  if (user.id === actor.userId || !outranks(actor.role, user.role)) {
    throw forbidden('You can only unsuspend users of a lower role');
  }
  await deps.db.transaction().execute(async (trx) => {
    const lifted = await trx
      .updateTable('users')
      .set({ suspended_at: null })
      .where('id', '=', user.id)
      .where('suspended_at', 'is not', null)
      .returning('id')
      .executeTakeFirst();
    if (lifted) {
      await recordAudit(trx, {
        actorId: actor.userId,
        action: 'unsuspend',
        target: { type: 'user', id: user.id },
      });
    }
  });
  // Sessions signed in while suspended are cached as suspended: forget them so they are whole again at once.
  await forgetSessions(deps, { userIds: [user.id] });
}

/** For the CLI: sets a role with no actor (whoever runs it owns the database). Null when the user is unknown. */
export async function grantRole(deps: AdminDeps, username: string, role: Role): Promise<Me | null> {
  const user = await findUserByUsername(deps.db, username);
  if (!user) return null;
  await applyRole(deps, user, role, null);
  return userRowToMe(deps.db, { ...user, role }, null, mediaStoreOf(deps.config));
}
