// Socket.IO rooms of the feed. A post push targets the global feed, its author's room (which `home`
// sockets of the author and their followers join) and the post's own room, in ONE event, so a socket
// in several of those rooms gets it once.

export const FEED_ROOM = 'feed';
/** Joined by `home` sockets of the author and of everyone following them. */
export const authorRoom = (userId: string): string => `author:${userId}`;
/** Every `home` socket of one user: the handle to move them between author rooms on (un)follow. */
export const homeRoom = (userId: string): string => `home:${userId}`;
/** Sockets watching one post's comments and counters (topic `post:<id>`). */
export const postRoom = (postId: string): string => `post:${postId}`;

/** Rooms of a push about an existing post: feed, home (via the author's room) and `post:<id>`. */
export const postPushRooms = (authorId: string, postId: string): string[] => [
  FEED_ROOM,
  authorRoom(authorId),
  postRoom(postId),
];
