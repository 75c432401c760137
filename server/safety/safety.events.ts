// Block and mute changes reach open sockets through the event log: the changing transaction records the
// pair's hide state, and the relay (instance.ts) turns it into room moves on every instance, in commit
// order with the pushes around it. Workers (the mute expiry) have no Socket.IO server: the log is their way in.
import type { AnyPush } from '@plaza/client/protocol';
import { userRoom } from '../auth/actor.ts';
import type { Trx } from '../db/database.ts';
import { hideRoom } from '../realtime/hide-rooms.ts';
import type { PlazaServer } from '../realtime/socket-types.ts';
import { pairState } from './safety.repository.ts';

export const HIDE_CHANGED = 'safety:hide-changed' as const;

/** Whether `userId`'s sockets hide `otherId` from now on. */
export interface HideChange {
  userId: string;
  otherId: string;
  hidden: boolean;
}

/**
 * Records the pair's hide state both ways, as of this transaction (the caller holds the pair's lock), in a
 * room no socket joins: `resume` never replays it, the relay applies it.
 */
export async function recordHideState(trx: Trx, a: string, b: string): Promise<void> {
  const state = await pairState(trx, a, b);
  const changes: HideChange[] = [
    { userId: a, otherId: b, hidden: state.aHidesB },
    { userId: b, otherId: a, hidden: state.bHidesA },
  ];
  await trx
    .insertInto('event_log')
    .values({
      topic: 'internal',
      type: HIDE_CHANGED,
      rooms: [`internal:hide:${a}`],
      data: JSON.stringify({ changes }),
    })
    .execute();
}

/**
 * Applies a relayed hide change on every instance; false for any other push. This instance moves its own
 * sockets at once (synchronously, like the local half of the broadcasts that follow), the others hear it
 * through the adapter on the same Redis connection as those broadcasts, so before them. (`socketsJoin`
 * would not do: the Redis adapter applies it even locally only once Redis echoes it back, after the local
 * half of the next push.)
 */
export function applyHideChange(io: PlazaServer, push: AnyPush): boolean {
  if ((push.type as string) !== HIDE_CHANGED) return false;
  const { changes } = push.data as unknown as { changes: HideChange[] };
  moveLocalSockets(io, changes);
  io.serverSideEmit(HIDE_CHANGED, changes);
  return true;
}

/** Every instance applies the hide changes the relay leader announces (see applyHideChange). */
export function listenForHideChanges(io: PlazaServer): void {
  io.on(HIDE_CHANGED, (changes) => moveLocalSockets(io, changes));
}

function moveLocalSockets(io: PlazaServer, changes: readonly HideChange[]): void {
  for (const change of changes) {
    const sockets = io.local.in(userRoom(change.userId));
    if (change.hidden) sockets.socketsJoin(hideRoom(change.otherId));
    else sockets.socketsLeave(hideRoom(change.otherId));
  }
}
