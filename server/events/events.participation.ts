// Joining and leaving events: capacity under any concurrency (the event row is locked for every change),
// the waitlist in join order, promotion of the first waitlisted when a seat frees up.
import type { Page, ParticipationStatus, UserRef } from '@plaza/client/protocol';
import type { Actor } from '../auth/actor.ts';
import type { Trx } from '../db/database.ts';
import type { EventRow } from '../db/schema.ts';
import type { Deps } from '../deps.ts';
import { AppError, notFound, unauthenticated } from '../lib/errors.ts';
import { KeyedSerializer } from '../lib/keyed-serializer.ts';
import { decodeCursor, type PageQuery, toPage } from '../lib/pagination.ts';
import { notify } from '../notifications/notifications.service.ts';
import { appendEvent } from '../realtime/event-log.ts';
import { scheduleReminders, unscheduleReminders } from './events.reminders.ts';
import {
  deleteParticipant,
  findEventView,
  findParticipant,
  findUserRef,
  insertParticipant,
  listParticipantPage,
  lockEvent,
  promoteWaitlisted,
  type UserRefRow,
  updateEvent,
} from './events.repository.ts';
import { canSeeEvent, eventRoom } from './events.rooms.ts';
import type { ParticipationInput } from './events.schema.ts';

export interface ParticipationState {
  status: ParticipationStatus | null;
  goingCount: number;
  waitlistCount: number;
}

export interface Participant {
  user: UserRef;
  status: ParticipationStatus;
  joinedAt: string;
}

type Counts = Pick<EventRow, 'going_count' | 'waitlist_count'>;

/**
 * Joins and leaves of one event wait their turn here before taking a pooled connection: they would queue
 * on the event's row lock anyway, and a burst on one event must not occupy the whole pool (other requests
 * would time out waiting for a connection). Across instances the row lock still decides the order.
 */
const perEvent = new KeyedSerializer();

const isOpen = (event: Pick<EventRow, 'status' | 'starts_at'>) =>
  event.status === 'published' && event.starts_at.getTime() > Date.now();

async function lockVisibleEvent(trx: Trx, actor: Actor, eventId: string): Promise<EventRow> {
  const event = await lockEvent(trx, eventId);
  if (!event || !canSeeEvent(event, actor)) throw notFound('Event');
  return event;
}

async function pushParticipation(
  trx: Trx,
  eventId: string,
  user: string | UserRefRow | undefined,
  status: ParticipationStatus | null,
  counts: Counts,
): Promise<void> {
  const ref = typeof user === 'string' ? await findUserRef(trx, user) : user;
  if (!ref) return;
  await appendEvent(trx, {
    type: 'event:participation',
    topic: eventRoom(eventId),
    data: {
      eventId,
      user: { id: ref.id, username: ref.username, displayName: ref.display_name },
      status,
      goingCount: counts.going_count,
      waitlistCount: counts.waitlist_count,
    },
  });
}

/**
 * Where a paid event's ticket will be bought once the wallet exists (an `event_ticket` transfer, the joiner
 * `pending_payment` until it settles). Paid events cannot be created yet, so this only guards old data.
 */
function startTicketPurchase(_trx: Trx, _event: EventRow, _actor: Actor): never {
  throw new AppError('conflict', 'Paid events need the wallet, which is not available yet');
}

/**
 * Idempotent: joining again answers the current status. `going` while seats remain, else `waitlisted`.
 * The event row lock is the queue every concurrent join waits in, so the locked part is kept to a few statements.
 */
export async function joinEvent(
  deps: Deps,
  actor: Actor | null,
  input: ParticipationInput,
): Promise<ParticipationState> {
  if (!actor) throw unauthenticated();
  const outcome = await perEvent.run(input.eventId, () =>
    deps.db.transaction().execute(async (trx) => {
      const user = await findUserRef(trx, actor.userId);
      const event = await lockVisibleEvent(trx, actor, input.eventId);
      const unchanged = async () => {
        const existing = await findParticipant(trx, event.id, actor.userId);
        return existing ? { event, status: existing.status, changed: false } : null;
      };
      if (event.status !== 'published' || !isOpen(event)) {
        const already = await unchanged();
        if (already) return already;
        throw new AppError(
          'conflict',
          event.status === 'published' ? 'The event has already started' : `The event is ${event.status}`,
        );
      }
      if (event.price_cents > 0) return (await unchanged()) ?? startTicketPurchase(trx, event, actor);

      const status: ParticipationStatus =
        event.capacity === null || event.going_count < event.capacity ? 'going' : 'waitlisted';
      if (!(await insertParticipant(trx, event.id, actor.userId, status))) {
        // Joined before (the row lock makes "gone again meanwhile" impossible).
        const already = await unchanged();
        if (!already) throw new AppError('conflict', 'Your participation changed meanwhile, try again');
        return already;
      }
      const counts: Counts = {
        going_count: event.going_count + (status === 'going' ? 1 : 0),
        waitlist_count: event.waitlist_count + (status === 'waitlisted' ? 1 : 0),
      };
      await updateEvent(trx, event.id, counts);
      await pushParticipation(trx, event.id, user, status, counts);
      return { event: { ...event, ...counts }, status, changed: true };
    }),
  );
  if (outcome.changed && outcome.status === 'going') {
    await scheduleReminders(deps, outcome.event, [actor.userId]);
  }
  return {
    status: outcome.status,
    goingCount: outcome.event.going_count,
    waitlistCount: outcome.event.waitlist_count,
  };
}

/** Idempotent: leaving when not participating answers `status: null`. A freed seat promotes the first waitlisted. */
export async function leaveEvent(
  deps: Deps,
  actor: Actor | null,
  input: ParticipationInput,
): Promise<ParticipationState & { status: null }> {
  if (!actor) throw unauthenticated();
  const outcome = await perEvent.run(input.eventId, () =>
    deps.db.transaction().execute(async (trx) => {
      const event = await lockVisibleEvent(trx, actor, input.eventId);
      const existing = await findParticipant(trx, event.id, actor.userId);
      if (!existing) return { event, left: null, promoted: [] as string[] };
      await deleteParticipant(trx, event.id, actor.userId);
      const counts: Counts = {
        going_count: event.going_count - (existing.status === 'going' ? 1 : 0),
        waitlist_count: event.waitlist_count - (existing.status === 'waitlisted' ? 1 : 0),
      };
      await updateEvent(trx, event.id, counts);
      await pushParticipation(trx, event.id, actor.userId, null, counts);
      const after = { ...event, ...counts };
      const promoted = await promoteToCapacity(trx, after);
      return {
        event: {
          ...after,
          going_count: after.going_count + promoted.length,
          waitlist_count: after.waitlist_count - promoted.length,
        },
        left: existing.status,
        promoted,
      };
    }),
  );
  if (outcome.left === 'going') await unscheduleReminders(deps, outcome.event, [actor.userId]);
  await scheduleReminders(deps, outcome.event, outcome.promoted);
  return { status: null, goingCount: outcome.event.going_count, waitlistCount: outcome.event.waitlist_count };
}

/**
 * Fills free seats from the waitlist in join order, in the caller's transaction (the event row is locked):
 * each promoted participant is notified and the event's watchers see the new counts. Returns their ids.
 */
export async function promoteToCapacity(trx: Trx, event: EventRow): Promise<string[]> {
  if (!isOpen(event) || event.waitlist_count === 0) return [];
  const free = event.capacity === null ? event.waitlist_count : event.capacity - event.going_count;
  const promoted = await promoteWaitlisted(trx, event.id, Math.min(free, event.waitlist_count));
  if (promoted.length === 0) return [];
  await updateEvent(trx, event.id, {
    going_count: event.going_count + promoted.length,
    waitlist_count: event.waitlist_count - promoted.length,
  });
  for (const [index, userId] of promoted.entries()) {
    await notify(trx, {
      userId,
      type: 'event_promoted',
      title: `You're going to ${event.title}`,
      body: 'A seat freed up and you were first on the waitlist.',
      url: `/events/${event.id}`,
    });
    await pushParticipation(trx, event.id, userId, 'going', {
      going_count: event.going_count + index + 1,
      waitlist_count: event.waitlist_count - index - 1,
    });
  }
  return promoted;
}

/** Participants in join order (going first in time, then the waitlist as it queued). */
export async function listParticipants(
  deps: Pick<Deps, 'db'>,
  actor: Actor | null,
  eventId: string,
  query: PageQuery,
): Promise<Page<Participant>> {
  const after = query.cursor === undefined ? null : decodeCursor(query.cursor, 1)[0];
  if (after !== null && typeof after !== 'number') {
    throw new AppError('validation_failed', 'The cursor is not valid', {
      issues: [{ path: 'cursor', message: 'invalid cursor' }],
    });
  }
  const event = await findEventView(deps.db, eventId, null);
  if (!event || !canSeeEvent(event, actor)) throw notFound('Event');
  const rows = await listParticipantPage(deps.db, eventId, after, query.limit);
  return toPage(
    rows,
    query.limit,
    (r) => ({
      user: { id: r.user_id, username: r.username, displayName: r.display_name },
      status: r.status,
      joinedAt: r.joined_at.toISOString(),
    }),
    (r) => [r.position],
  );
}
