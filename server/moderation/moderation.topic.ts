// The `moderation` topic: the live queue of reports, for moderators' and admins' sockets only. A role change
// drops a user's sockets on every instance, so a demoted moderator's socket does not keep the room.
import type { Actor } from '../auth/actor.ts';
import { hasRole } from '../auth/actor.ts';
import { forbidden } from '../lib/errors.ts';
import { exactTopic, type TopicRegistry } from '../realtime/topics.ts';

export const MODERATION_ROOM = 'moderation';

export function moderationTopics(registry: TopicRegistry): TopicRegistry {
  return registry.register({
    match: exactTopic(MODERATION_ROOM),
    rooms: (_param, actor: Actor | null) => {
      if (!hasRole(actor, 'moderator')) throw forbidden('Only moderators may follow the moderation queue');
      return [MODERATION_ROOM];
    },
  });
}
