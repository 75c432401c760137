// Live topics of the feed: `home` (own and followed authors' posts) and `post:<id>` (one post's comments and counters).
import type { Deps } from '../deps.ts';
import { notFound, unauthenticated } from '../lib/errors.ts';
import { exactTopic, idTopic, type TopicRegistry } from '../realtime/topics.ts';
import { postOfBlocker } from '../safety/safety.repository.ts';
import { followeeIds } from '../social/social.repository.ts';
import { postExists } from './posts.repository.ts';
import { authorRoom, homeRoom, postRoom } from './posts.rooms.ts';

export function feedTopics(registry: TopicRegistry, deps: Pick<Deps, 'db'>): TopicRegistry {
  return registry
    .register({
      match: exactTopic('home'),
      // home:<me> is the handle a (un)follow uses to move these sockets between author rooms.
      rooms: async (_param, actor) => {
        if (!actor) throw unauthenticated();
        const followees = await followeeIds(deps.db, actor.userId);
        return [homeRoom(actor.userId), authorRoom(actor.userId), ...followees.map(authorRoom)];
      },
      // Author rooms joined later by a follow belong to this subscription too.
      adopts: (room) => room.startsWith('author:'),
      // A follow committing between the followee read and the join moved no socket of this one: read again.
      rereadAfterJoin: true,
    })
    .register({
      match: idTopic('post:'),
      // Batched: the post topics of one subscribe are checked with one query.
      rooms: async (postId, actor) => {
        if (!(await postExists(deps.db, postId))) throw notFound('Post');
        // A blocker's post is not found for the blocked, live as by REST.
        if (actor && (await postOfBlocker(deps.db, `${postId}:${actor.userId}`))) throw notFound('Post');
        return [postRoom(postId)];
      },
    });
}
