// Socket.IO rooms and topics of events: `events` (the listing) and `event:<id>` (one event's page).
import type { Actor } from '../auth/actor.ts';
import { hasRole } from '../auth/actor.ts';
import type { Db } from '../db/database.ts';
import { notFound } from '../lib/errors.ts';
import { exactTopic, prefixedTopic, type TopicRegistry } from '../realtime/topics.ts';

export const EVENTS_ROOM = 'events';
/** Sockets watching one event (topic `event:<id>`). */
export const eventRoom = (eventId: string): string => `event:${eventId}`;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Who may see an event: everyone, except a rejected one (its organizer and moderators only). */
export const canSeeEvent = (event: { status: string; organizer_id: string }, actor: Actor | null): boolean =>
  event.status !== 'rejected' || actor?.userId === event.organizer_id || hasRole(actor, 'moderator');

export function eventTopics(registry: TopicRegistry, db: Db): TopicRegistry {
  return registry.register({ match: exactTopic('events'), rooms: () => [EVENTS_ROOM] }).register({
    match: prefixedTopic('event:', UUID),
    rooms: async (id, actor) => {
      const event = await db
        .selectFrom('events')
        .select(['status', 'organizer_id'])
        .where('id', '=', id)
        .executeTakeFirst();
      // The same answer as GET /events/:id: a hidden event does not exist for this viewer.
      if (!event || !canSeeEvent(event, actor)) throw notFound('Event');
      return [eventRoom(id)];
    },
  });
}
