// The rules of events: who creates, edits, cancels and rejects them, what is valid, and what each change tells whom.
import type { Event, Page } from '@plaza/client/protocol';
import type { Actor } from '../auth/actor.ts';
import { hasRole } from '../auth/actor.ts';
import type { Trx } from '../db/database.ts';
import type { Deps } from '../deps.ts';
import { AppError, forbidden, notFound, unauthenticated } from '../lib/errors.ts';
import { newId } from '../lib/ids.ts';
import { type PageQuery, toPage } from '../lib/pagination.ts';
import { decodeTimeCursor, timeKeyOf } from '../lib/time-cursor.ts';
import { avatarUrlOf, type MediaFields, type MediaUrls, mediaOf } from '../media/media.objects.ts';
import { claimMedia } from '../media/media.repository.ts';
import { collectSoon, refuseUnclaimable } from '../media/media.service.ts';
import { mediaStoreOf } from '../media/store.factory.ts';
import { recordAudit } from '../moderation/audit.ts';
import { notifyMany } from '../notifications/notifications.service.ts';
import { appendEvent } from '../realtime/event-log.ts';
import { eventWriteLimits } from './events.limits.ts';
import { promoteToCapacity, settleSoon } from './events.participation.ts';
import { scheduleEventReminders, scheduleReminders, unscheduleEventReminders } from './events.reminders.ts';
import {
  type EventChanges,
  type EventView,
  findEventView,
  insertEvent,
  listUpcomingEvents,
  lockEvent,
  participantIds,
  replaceCover,
  updateEvent,
} from './events.repository.ts';
import { canSeeEvent, EVENTS_ROOM, eventRoom } from './events.rooms.ts';
import type { CreateEventInput, RejectEventInput, UpdateEventInput } from './events.schema.ts';
import { checkScheduleKeepsTicketMoney, refundEventTickets } from './events.tickets.ts';

export const eventViewToEvent = (row: EventView, urls: MediaUrls): Event => ({
  id: row.id,
  organizer: {
    id: row.organizer_id,
    username: row.organizer_username,
    displayName: row.organizer_display_name,
    avatarUrl: avatarUrlOf(row.organizer_avatar_key, urls),
  },
  title: row.title,
  summary: row.summary,
  description: row.description,
  location: row.location,
  startsAt: row.starts_at.toISOString(),
  endsAt: row.ends_at.toISOString(),
  capacity: row.capacity,
  priceCents: row.price_cents,
  status: row.status,
  goingCount: row.going_count,
  waitlistCount: row.waitlist_count,
  myStatus: row.my_status,
  cover: row.cover ? mediaOf(row.cover as MediaFields, urls, 'cover') : null,
});

const invalid = (path: string, message: string) =>
  new AppError('validation_failed', message, { issues: [{ path, message }] });

/** Cross-field rules shared by create and edit (the schema checks each field alone). */
function checkSchedule(startsAt: Date, endsAt: Date, startChanged: boolean): void {
  if (startChanged && startsAt.getTime() <= Date.now()) throw invalid('startsAt', 'must be in the future');
  if (endsAt.getTime() <= startsAt.getTime()) throw invalid('endsAt', 'must be after startsAt');
}

/** The event as the pushes carry it: `myStatus` is per viewer, so null for everyone. */
async function pushedEvent(trx: Trx, id: string, urls: MediaUrls): Promise<Event> {
  const row = await findEventView(trx, id, null);
  if (!row) throw notFound('Event');
  return eventViewToEvent(row, urls);
}

export async function getEvent(
  deps: Pick<Deps, 'db' | 'config'>,
  actor: Actor | null,
  id: string,
): Promise<Event> {
  const row = await findEventView(deps.db, id, actor?.userId ?? null);
  if (!row || !canSeeEvent(row, actor)) throw notFound('Event');
  return eventViewToEvent(row, mediaStoreOf(deps.config));
}

export async function listEvents(
  deps: Pick<Deps, 'db' | 'config'>,
  actor: Actor | null,
  query: PageQuery,
): Promise<Page<Event>> {
  const after = decodeTimeCursor(query.cursor);
  const rows = await listUpcomingEvents(deps.db, actor?.userId ?? null, after, query.limit);
  const urls = mediaStoreOf(deps.config);
  return toPage(
    rows,
    query.limit,
    (row) => eventViewToEvent(row, urls),
    (r) => timeKeyOf(r.starts_at, r.id),
  );
}

/** Claims the organizer's media as the event's cover (all in the caller's transaction), or 409. */
async function setCover(
  trx: Trx,
  organizerId: string,
  eventId: string,
  mediaId: string | null,
): Promise<boolean> {
  if (mediaId !== null) {
    const claimed = await claimMedia(trx, { ids: [mediaId], ownerId: organizerId, as: 'cover' });
    if (claimed.length !== 1) await refuseUnclaimable(trx, [mediaId], organizerId);
  }
  return replaceCover(trx, eventId, mediaId);
}

export async function createEvent(deps: Deps, actor: Actor | null, input: CreateEventInput): Promise<Event> {
  if (!actor) throw unauthenticated();
  await eventWriteLimits(deps).creations.consume(actor.userId);
  const startsAt = new Date(input.startsAt);
  const endsAt = new Date(input.endsAt);
  checkSchedule(startsAt, endsAt, true);
  const id = newId();
  const urls = mediaStoreOf(deps.config);
  const event = await deps.db.transaction().execute(async (trx) => {
    await insertEvent(trx, {
      id,
      organizer_id: actor.userId,
      title: input.title,
      summary: input.summary ?? '',
      description: input.description,
      location: input.location ?? '',
      starts_at: startsAt,
      ends_at: endsAt,
      capacity: input.capacity ?? null,
      price_cents: input.priceCents ?? 0,
      status: 'published',
      reject_reason: null,
    });
    if (input.coverMediaId) await setCover(trx, actor.userId, id, input.coverMediaId);
    const created = await pushedEvent(trx, id, urls);
    await appendEvent(trx, { type: 'event:created', topic: EVENTS_ROOM, data: { event: created } });
    return created;
  });
  return { ...event, myStatus: null };
}

/** Locks an event the actor may see, or 404. */
async function lockVisible(trx: Trx, actor: Actor, id: string) {
  const row = await lockEvent(trx, id);
  if (!row || !canSeeEvent(row, actor)) throw notFound('Event');
  return row;
}

export async function updateEventDetails(
  deps: Deps,
  actor: Actor | null,
  id: string,
  input: UpdateEventInput,
): Promise<Event> {
  if (!actor) throw unauthenticated();
  const outcome = await deps.db.transaction().execute(async (trx) => {
    const before = await lockVisible(trx, actor, id);
    if (before.organizer_id !== actor.userId) throw forbidden('Only the organizer can edit this event');
    if (before.status !== 'published') throw new AppError('conflict', `The event is ${before.status}`);
    const startsAt = input.startsAt ? new Date(input.startsAt) : before.starts_at;
    const endsAt = input.endsAt ? new Date(input.endsAt) : before.ends_at;
    const moved = startsAt.getTime() !== before.starts_at.getTime();
    checkSchedule(startsAt, endsAt, moved);
    await checkScheduleKeepsTicketMoney(trx, before, startsAt, endsAt);
    if (input.priceCents !== undefined && input.priceCents !== before.price_cents) {
      // Who paid (or joined for free) would hold a seat at another price than the others.
      const joined = await participantIds(trx, id, ['going', 'waitlisted', 'pending_payment']);
      if (joined.length > 0)
        throw new AppError('conflict', 'The price cannot change once people have joined');
    }
    const capacity = input.capacity === undefined ? before.capacity : input.capacity;
    if (capacity !== null && capacity < before.going_count) {
      throw new AppError('conflict', `${before.going_count} people are going: capacity cannot go below that`);
    }
    const changes: EventChanges = {
      title: input.title,
      summary: input.summary,
      description: input.description,
      location: input.location,
      starts_at: moved ? startsAt : undefined,
      ends_at: input.endsAt ? endsAt : undefined,
      capacity: input.capacity,
      price_cents: input.priceCents,
    };
    await updateEvent(trx, id, changes);
    const coverRemoved =
      input.coverMediaId !== undefined && (await setCover(trx, actor.userId, id, input.coverMediaId));
    // More seats (or none limited any more): the waitlist moves up in join order.
    const promotion = await promoteToCapacity(trx, { ...before, capacity }, mediaStoreOf(deps.config));
    const event = await pushedEvent(trx, id, mediaStoreOf(deps.config));
    await appendEvent(trx, {
      type: 'event:updated',
      topic: EVENTS_ROOM,
      rooms: [EVENTS_ROOM, eventRoom(id)],
      data: { event },
    });
    return { event, promotion, moved, before, coverRemoved };
  });
  if (outcome.coverRemoved) await collectSoon(deps);
  await settleSoon(deps, outcome.promotion.tickets);
  // After commit: the new job first (its id carries the new start), then the old one goes: one job each
  // however many are going.
  const now = { id, starts_at: new Date(outcome.event.startsAt) };
  if (outcome.moved) {
    if (outcome.event.goingCount > 0) await scheduleEventReminders(deps, now);
    await unscheduleEventReminders(deps, outcome.before);
  }
  await scheduleReminders(deps, now, outcome.promotion.going);
  return getEvent(deps, actor, id);
}

/**
 * Ends an event for good: participants are told, reminders dropped, completed tickets refunded (once each:
 * see events.tickets.ts; tickets still pending are refunded when they settle). Used by cancel and reject.
 */
async function closeEvent(
  deps: Deps,
  actor: Actor,
  id: string,
  authorize: (row: { organizer_id: string; status: string }) => void,
  status: 'cancelled' | 'rejected',
  reason: string | null,
): Promise<Event> {
  const outcome = await deps.db.transaction().execute(async (trx) => {
    const closed = await closeEventInTransaction(trx, deps, actor, id, authorize, status, reason);
    // A rejection, or a cancellation by someone other than the organizer, is a moderator's action.
    if (closed && (status === 'rejected' || closed.before.organizer_id !== actor.userId)) {
      await recordAudit(trx, {
        actorId: actor.userId,
        action: status === 'rejected' ? 'reject_event' : 'cancel_event',
        target: { type: 'event', id: closed.before.id },
        note: reason ?? '',
      });
    }
    return closed;
  });
  await afterEventClosed(deps, outcome);
  return getEvent(deps, actor, id);
}

export type ClosedEvent = Awaited<ReturnType<typeof closeEventInTransaction>>;

/**
 * Cancels or rejects in the caller's transaction (a report resolved with `remove_content` rejects in its
 * own): null when it already was; the caller hands the outcome to `afterEventClosed` after commit.
 */
export async function closeEventInTransaction(
  trx: Trx,
  deps: Deps,
  actor: Actor,
  id: string,
  authorize: (row: { organizer_id: string; status: string }) => void,
  status: 'cancelled' | 'rejected',
  reason: string | null,
) {
  const before = await lockVisible(trx, actor, id);
  authorize(before);
  if (before.status === status) return null;
  if (before.status !== 'published') throw new AppError('conflict', `The event is already ${before.status}`);
  await updateEvent(trx, id, status === 'rejected' ? { status, reject_reason: reason ?? '' } : { status });
  const event = await pushedEvent(trx, id, mediaStoreOf(deps.config));
  const everyone = await participantIds(trx, id, ['going', 'waitlisted', 'pending_payment']);
  // One statement for everyone: their unread counters are locked in one (user id) order, so two closings
  // sharing participants cannot deadlock on them.
  await notifyMany(
    trx,
    everyone.map((userId) => ({
      userId,
      type: 'event_cancelled' as const,
      title: `${event.title} was cancelled`,
      body:
        status === 'rejected' ? 'The event was removed by the moderators.' : 'The organizer cancelled it.',
      url: `/events/${id}`,
      dedupeKey: `event_cancelled:${id}`,
    })),
  );
  // A rejected event leaves the listing: listing clients drop it on seeing its status.
  await appendEvent(trx, {
    type: status === 'cancelled' ? 'event:cancelled' : 'event:updated',
    topic: EVENTS_ROOM,
    rooms: [EVENTS_ROOM, eventRoom(id)],
    data: { event },
  });
  const refunds = await refundEventTickets(trx, id, mediaStoreOf(deps.config));
  return { before, refunds };
}

/** After the commit of a cancellation or rejection: refunds settle, reminders are dropped. */
export async function afterEventClosed(deps: Deps, outcome: ClosedEvent): Promise<void> {
  if (outcome) {
    await settleSoon(deps, outcome.refunds);
    // Participants' own jobs (late joiners) stay: they find the event closed and do nothing.
    await unscheduleEventReminders(deps, outcome.before);
  }
}

/** Organizer or moderator; idempotent (cancelling a cancelled event answers it as it is). */
export async function cancelEvent(deps: Deps, actor: Actor | null, id: string): Promise<Event> {
  if (!actor) throw unauthenticated();
  return closeEvent(
    deps,
    actor,
    id,
    (row) => {
      if (row.organizer_id !== actor.userId && !hasRole(actor, 'moderator')) {
        throw forbidden('Only the organizer or a moderator can cancel this event');
      }
    },
    'cancelled',
    null,
  );
}

/** Moderators only; the event leaves the listings but its page still answers its organizer and moderators. */
export async function rejectEvent(
  deps: Deps,
  actor: Actor | null,
  id: string,
  input: RejectEventInput,
): Promise<Event> {
  if (!actor) throw unauthenticated();
  if (!hasRole(actor, 'moderator')) throw forbidden('Only moderators can reject events');
  return closeEvent(deps, actor, id, () => {}, 'rejected', input.reason);
}
