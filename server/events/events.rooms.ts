// Socket.IO rooms and topics of events: `events` (the listing) and `event:<id>` (one event's page).
import type { Event } from '@plaza/client/protocol';
import type { Actor } from '../auth/actor.ts';
import { hasRole, userRoom } from '../auth/actor.ts';
import { batchedLookup } from '../db/batched-lookup.ts';
import type { Db } from '../db/database.ts';
import { notFound } from '../lib/errors.ts';
import type { PlazaServer } from '../realtime/socket-types.ts';
import { MODERATORS_ROOM } from '../realtime/subscriptions.ts';
import { exactTopic, idTopic, type TopicRegistry } from '../realtime/topics.ts';

export const EVENTS_ROOM = 'events';
/** Sockets watching one event (topic `event:<id>`). */
export const eventRoom = (eventId: string): string => `event:${eventId}`;

/** Who may see an event: everyone, except a rejected one (its organizer and moderators only). */
export const canSeeEvent = (event: { status: string; organizer_id: string }, actor: Actor | null): boolean =>
  event.status !== 'rejected' || actor?.userId === event.organizer_id || hasRole(actor, 'moderator');

/** Who may see each event; the calls of one turn (the event topics of one subscribe) share one query. */
const eventAudience = batchedLookup<string, { status: string; organizer_id: string }>(async (db, ids) => {
  const rows = await db
    .selectFrom('events')
    .select(['id', 'status', 'organizer_id'])
    .where('id', 'in', [...ids])
    .execute();
  return new Map(rows.map((row) => [row.id, row]));
});

export function eventTopics(registry: TopicRegistry, db: Db): TopicRegistry {
  return registry.register({ match: exactTopic('events'), rooms: () => [EVENTS_ROOM] }).register({
    match: idTopic('event:'),
    rooms: async (id, actor) => {
      const event = await eventAudience(db, id);
      // The same answer as GET /events/:id: a hidden event does not exist for this viewer.
      if (!event || !canSeeEvent(event, actor)) throw notFound('Event');
      return [eventRoom(id)];
    },
    // A moderator may reject the event after the subscribe.
    revocable: true,
  });
}

/**
 * Called as the relay delivers a push: once an event is rejected, the sockets in its room that may no
 * longer see it (all but its organizer's and moderators') leave the room on every instance, through the
 * adapter, right behind the rejection push on the same Redis connection, so nothing later reaches them.
 */
export function withdrawRejectedEvent(io: PlazaServer, event: Event): void {
  if (event.status !== 'rejected') return;
  const room = eventRoom(event.id);
  io.in(room)
    .except([userRoom(event.organizer.id), MODERATORS_ROOM])
    .socketsLeave(room);
}
