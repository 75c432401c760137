// Live filtering at broadcast cost: a socket joins `hide:<X>` for every user X it must not hear from (see
// server/safety), and a push carrying X's content goes `to(rooms).except(hide:<X>)`. The adapter applies
// `except` on every instance, so one push stays one broadcast, whatever the number of sockets.

const HIDE_PREFIX = 'hide:';

/** Joined by every socket whose user must not get `userId`'s content. */
export const hideRoom = (userId: string): string => `${HIDE_PREFIX}${userId}`;

export const isHideRoom = (room: string): boolean => room.startsWith(HIDE_PREFIX);

/** The users a socket hides, from its rooms (kept current on every instance by the relay). */
export const hiddenUsersOf = (rooms: Iterable<string>): string[] =>
  [...rooms].filter(isHideRoom).map((room) => room.slice(HIDE_PREFIX.length));
