// The feed's pushes, appended in the caller's transaction. Envelope topic: a post push reaches `feed`,
// `home` and `post:<id>` sockets as ONE event (rooms), and names 'feed' as its topic. Every push about a
// post names its author as the actor: sockets hiding the author get none of them (server/safety).
import type { Post } from '@plaza/client/protocol';
import type { Trx } from '../db/database.ts';
import { appendEvent, type NewEvent } from '../realtime/event-log.ts';
import type { PostCounts } from './posts.repository.ts';
import { authorRoom, FEED_ROOM, postPushRooms } from './posts.rooms.ts';

export const FEED_TOPIC = 'feed';

/** Pushes carry a viewer-neutral post: `likedByMe` is false, each client knows its own likes. */
const neutral = (post: Post): Post => ({ ...post, likedByMe: false });

export const postCreatedEvent = (post: Post): NewEvent<'post:created'> => ({
  type: 'post:created',
  topic: FEED_TOPIC,
  rooms: [FEED_ROOM, authorRoom(post.author.id)],
  data: { post: neutral(post) },
  subject: post.id,
  actor: post.author.id,
});

export const appendPostUpdated = (trx: Trx, post: Post) =>
  appendEvent(trx, {
    type: 'post:updated',
    topic: FEED_TOPIC,
    rooms: postPushRooms(post.author.id, post.id),
    data: { post: neutral(post) },
    subject: post.id,
    actor: post.author.id,
  });

export const appendPostDeleted = (trx: Trx, authorId: string, postId: string) =>
  appendEvent(trx, {
    type: 'post:deleted',
    topic: FEED_TOPIC,
    rooms: postPushRooms(authorId, postId),
    data: { postId },
    actor: authorId,
  });

export const appendPostStats = (trx: Trx, authorId: string, postId: string, counts: PostCounts) =>
  appendEvent(trx, {
    type: 'post:stats',
    topic: FEED_TOPIC,
    rooms: postPushRooms(authorId, postId),
    data: { postId, likeCount: counts.like_count, commentCount: counts.comment_count },
    actor: authorId,
  });
