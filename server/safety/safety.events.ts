// Block and mute changes reach open sockets through the event log: the changing transaction records the
// pair's hide state, and the relay (instance.ts) turns it into room moves on every instance, in commit
// order with the pushes around it. Workers (the mute expiry) have no Socket.IO server: the log is their way in.
import type { AnyPush } from '@plaza/client/protocol';
import { userRoom } from '../auth/actor.ts';
import type { Db, Trx } from '../db/database.ts';
import { isUuid } from '../lib/ids.ts';
import { hideRoom } from '../realtime/hide-rooms.ts';
import type { PlazaServer } from '../realtime/socket-types.ts';
import { pairState, postOfBlocker } from './safety.repository.ts';

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
export function applyHideChange(io: PlazaServer, db: Db, push: AnyPush): boolean {
  if ((push.type as string) !== HIDE_CHANGED) return false;
  const { changes } = push.data as unknown as { changes: HideChange[] };
  moveLocalSockets(io, db, changes);
  io.serverSideEmit(HIDE_CHANGED, changes);
  return true;
}

/** Every instance applies the hide changes the relay leader announces (see applyHideChange). */
export function listenForHideChanges(io: PlazaServer, db: Db): void {
  io.on(HIDE_CHANGED, (changes) => moveLocalSockets(io, db, changes));
}

function moveLocalSockets(io: PlazaServer, db: Db, changes: readonly HideChange[]): void {
  for (const change of changes) {
    const sockets = io.local.in(userRoom(change.userId));
    if (change.hidden) sockets.socketsJoin(hideRoom(change.otherId));
    else sockets.socketsLeave(hideRoom(change.otherId));
    if (change.hidden) void leaveBlockersPosts(io, db, change.userId);
  }
}

/**
 * A user just blocked stops following the blocker's posts they had open: `hide:` filters the blocker's own
 * words, but a post's room also carries others' comments and counts, which a `post:<id>` subscription of
 * the blocked is refused (posts.topics.ts). Asked of the database (whoever blocks whom as of now), so a
 * mute or an unblock moves nothing. Like a rejected event's withdrawal, the socket just leaves the room.
 */
async function leaveBlockersPosts(io: PlazaServer, db: Db, userId: string): Promise<void> {
  // This instance's own sockets only: every instance runs this for its own.
  const { sockets, adapter } = io.of('/');
  const members = adapter.rooms.get(userRoom(userId));
  if (!members) return;
  const checks: Array<Promise<void>> = [];
  for (const socketId of members) {
    const socket = sockets.get(socketId);
    if (!socket) continue;
    for (const room of socket.rooms) {
      const postId = room.startsWith('post:') ? room.slice('post:'.length) : '';
      if (!isUuid(postId)) continue;
      checks.push(
        postOfBlocker(db, `${postId}:${userId}`).then((blocked) => {
          if (blocked) void socket.leave(room);
        }),
      );
    }
  }
  await Promise.all(checks).catch(() => {
    // The database is away: the room stays until the socket resubscribes (the blocker's own words stay hidden).
  });
}
