// Joining and leaving events: capacity under any concurrency (the event row is locked for every change),
// the waitlist in join order, promotion of the first waitlisted when a seat frees up.
// Paid events (see docs/contract-notes.md, "Paid tickets"): joining buys a ticket and waits in
// `pending_payment`, which holds no seat; the ticket's settlement (events.ticket-settlement.ts) decides.
import type { Page, ParticipationStatus, UserRef } from '@plaza/client/protocol';
import type { Actor } from '../auth/actor.ts';
import type { Trx } from '../db/database.ts';
import type { EventRow } from '../db/schema.ts';
import type { Deps } from '../deps.ts';
import { AppError, notFound, unauthenticated } from '../lib/errors.ts';
import { KeyedSerializer } from '../lib/keyed-serializer.ts';
import { decodeCursor, type PageQuery, toPage } from '../lib/pagination.ts';
import { avatarUrlOf, type MediaUrls } from '../media/media.objects.ts';
import { mediaStoreOf } from '../media/store.factory.ts';
import { type NewNotification, notifyMany } from '../notifications/notifications.service.ts';
import { appendEvent } from '../realtime/event-log.ts';
import { refuseIfBlockedBy } from '../safety/safety.guards.ts';
import { findUserRefRow, type UserRefRow, userRefOf } from '../social/user-refs.ts';
import { transferLimit } from '../wallet/wallet.limits.ts';
import { enqueueSettlement } from '../wallet/wallet.service.ts';
import { eventWriteLimits } from './events.limits.ts';
import { listParticipantPage } from './events.participant-page.ts';
import { scheduleReminders, unscheduleReminders } from './events.reminders.ts';
import {
  countParticipants,
  deleteParticipant,
  findEventPrice,
  findEventView,
  findParticipant,
  firstWaitlisted,
  insertParticipant,
  lockEvent,
  setParticipantStatus,
  updateEvent,
} from './events.repository.ts';
import { canSeeEvent, eventRoom } from './events.rooms.ts';
import type { ParticipationInput } from './events.schema.ts';
import { buyTicket, checkCanPay, refundTicket, serializePaidJoins } from './events.tickets.ts';

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

/** Who a promotion made `going` (reminders, after commit) and the tickets it bought (to settle). */
export interface Promotion {
  going: string[];
  tickets: string[];
}

/** Transfers recorded by a participation change: enqueued after commit (the sweeper would find them anyway). */
export async function settleSoon(
  deps: Pick<Deps, 'queues' | 'logger'>,
  ids: readonly string[],
): Promise<void> {
  for (const id of ids) await enqueueSettlement(deps, id);
}

/** The organizer attends their own paid event without a ticket (they would pay themselves). */
export const needsTicket = (event: Pick<EventRow, 'price_cents' | 'organizer_id'>, userId: string): boolean =>
  event.price_cents > 0 && event.organizer_id !== userId;

/**
 * Joins and leaves of one event wait their turn here before taking a pooled connection: they would queue
 * on the event's row lock anyway, and a burst on one event must not occupy the whole pool (other requests
 * would time out waiting for a connection). Across instances the row lock still decides the order.
 */
const perEvent = new KeyedSerializer();

export const isOpen = (event: Pick<EventRow, 'status' | 'starts_at'>) =>
  event.status === 'published' && event.starts_at.getTime() > Date.now();

async function lockVisibleEvent(trx: Trx, actor: Actor, eventId: string): Promise<EventRow> {
  const event = await lockEvent(trx, eventId);
  if (!event || !canSeeEvent(event, actor)) throw notFound('Event');
  return event;
}

export async function pushParticipation(
  trx: Trx,
  eventId: string,
  user: string | UserRefRow | undefined,
  status: ParticipationStatus | null,
  counts: Counts,
  urls: MediaUrls,
): Promise<void> {
  const ref = typeof user === 'string' ? await findUserRefRow(trx, user) : user;
  if (!ref) return;
  await appendEvent(trx, {
    type: 'event:participation',
    topic: eventRoom(eventId),
    data: {
      eventId,
      user: userRefOf(ref, urls),
      status,
      goingCount: counts.going_count,
      waitlistCount: counts.waitlist_count,
    },
  });
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
  // Counted before any work, replays included (as POST /transfers counts them): a paid join is a transfer.
  await eventWriteLimits(deps).joins.consume(actor.userId);
  const priced = await findEventPrice(deps.db, input.eventId);
  const paid = priced !== undefined && needsTicket(priced, actor.userId);
  if (paid) await transferLimit(deps).consume(actor.userId);
  const urls = mediaStoreOf(deps.config);
  const outcome = await perEvent.run(input.eventId, () =>
    deps.db.transaction().execute(async (trx) => {
      if (paid) await serializePaidJoins(trx, actor.userId);
      const user = await findUserRefRow(trx, actor.userId);
      const event = await lockVisibleEvent(trx, actor, input.eventId);
      await refuseIfBlockedBy(trx, actor, event.organizer_id);
      const unchanged = async () => {
        const existing = await findParticipant(trx, event.id, actor.userId);
        return existing ? { event, status: existing.status, changed: false, tickets: [] as string[] } : null;
      };
      if (event.status !== 'published' || !isOpen(event)) {
        const already = await unchanged();
        if (already) return already;
        throw new AppError(
          'conflict',
          event.status === 'published' ? 'The event has already started' : `The event is ${event.status}`,
        );
      }
      if (needsTicket(event, actor.userId)) {
        // No seat yet, so the counts do not move: the ticket's settlement makes them going or waitlisted.
        const already = await unchanged();
        if (already) return already;
        // Priced after the limits were counted (a free event's price may change while nobody joined).
        if (!paid) throw new AppError('conflict', 'The event changed meanwhile, try again');
        await checkCanPay(trx, event, actor.userId, deps.config.currency);
        if (!(await insertParticipant(trx, event.id, actor.userId, 'pending_payment'))) {
          throw new AppError('conflict', 'Your participation changed meanwhile, try again');
        }
        const ticket = await buyTicket(trx, event, actor.userId, urls);
        await pushParticipation(trx, event.id, user, 'pending_payment', event, urls);
        return { event, status: 'pending_payment' as const, changed: true, tickets: [ticket] };
      }

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
      await pushParticipation(trx, event.id, user, status, counts, urls);
      return { event: { ...event, ...counts }, status, changed: true, tickets: [] as string[] };
    }),
  );
  await settleSoon(deps, outcome.tickets);
  if (outcome.changed && outcome.status === 'going') {
    await scheduleReminders(deps, outcome.event, [actor.userId]);
  }
  return {
    status: outcome.status,
    goingCount: outcome.event.going_count,
    waitlistCount: outcome.event.waitlist_count,
  };
}

/**
 * Idempotent: leaving when not participating answers `status: null`. A freed seat promotes the first waitlisted.
 * A paid ticket is refunded when leaving before the start (or from a closed event); a ticket still pending
 * is refunded by its settlement, which finds the participation gone.
 */
export async function leaveEvent(
  deps: Deps,
  actor: Actor | null,
  input: ParticipationInput,
): Promise<ParticipationState & { status: null }> {
  if (!actor) throw unauthenticated();
  await eventWriteLimits(deps).joins.consume(actor.userId);
  const urls = mediaStoreOf(deps.config);
  const outcome = await perEvent.run(input.eventId, () =>
    deps.db.transaction().execute(async (trx) => {
      const event = await lockVisibleEvent(trx, actor, input.eventId);
      const existing = await findParticipant(trx, event.id, actor.userId);
      if (!existing) return { event, left: null, promoted: [] as string[], transfers: [] as string[] };
      await deleteParticipant(trx, event.id, actor.userId);
      const counts: Counts = {
        going_count: event.going_count - (existing.status === 'going' ? 1 : 0),
        waitlist_count: event.waitlist_count - (existing.status === 'waitlisted' ? 1 : 0),
      };
      await updateEvent(trx, event.id, counts);
      await pushParticipation(trx, event.id, actor.userId, null, counts, urls);
      const refunds: string[] = [];
      if (existing.ticket_transfer_id && (event.status !== 'published' || isOpen(event))) {
        const refund = await refundTicket(trx, existing.ticket_transfer_id, urls);
        if (refund) refunds.push(refund);
      }
      const after = { ...event, ...counts };
      const promotion = await promoteToCapacity(trx, after, urls);
      // Re-read (the row is ours until commit): the promotion moved the counts.
      const final = (await lockEvent(trx, event.id)) ?? after;
      return {
        event: final,
        left: existing.status,
        promoted: promotion.going,
        transfers: [...refunds, ...promotion.tickets],
      };
    }),
  );
  await settleSoon(deps, outcome.transfers);
  if (outcome.left === 'going') await unscheduleReminders(deps, outcome.event, [actor.userId]);
  await scheduleReminders(deps, outcome.event, outcome.promoted);
  return { status: null, goingCount: outcome.event.going_count, waitlistCount: outcome.event.waitlist_count };
}

/**
 * Fills free seats from the waitlist in join order, in the caller's transaction (the event row is locked):
 * each promoted participant is notified and the event's watchers see the new counts.
 * On a paid event the promoted buy a ticket first (`pending_payment`), and seats already being paid for
 * are not offered again: free = capacity − going − pending_payment.
 */
export async function promoteToCapacity(trx: Trx, event: EventRow, urls: MediaUrls): Promise<Promotion> {
  const none: Promotion = { going: [], tickets: [] };
  if (!isOpen(event) || event.waitlist_count === 0) return none;
  const paying = event.price_cents > 0 ? await countParticipants(trx, event.id, 'pending_payment') : 0;
  const free = event.capacity === null ? event.waitlist_count : event.capacity - event.going_count - paying;
  const promoted = await firstWaitlisted(trx, event.id, Math.min(free, event.waitlist_count));
  if (promoted.length === 0) return none;
  const going = promoted.filter((userId) => !needsTicket(event, userId));
  const buying = promoted.filter((userId) => needsTicket(event, userId));
  await setParticipantStatus(trx, event.id, going, 'going');
  await setParticipantStatus(trx, event.id, buying, 'pending_payment');
  const counts: Counts = {
    going_count: event.going_count + going.length,
    waitlist_count: event.waitlist_count - promoted.length,
  };
  await updateEvent(trx, event.id, counts);
  const tickets: string[] = [];
  const notices: NewNotification[] = [];
  let running: Counts = { going_count: event.going_count, waitlist_count: event.waitlist_count };
  for (const userId of promoted) {
    const paid = needsTicket(event, userId);
    running = {
      going_count: running.going_count + (paid ? 0 : 1),
      waitlist_count: running.waitlist_count - 1,
    };
    if (paid) tickets.push(await buyTicket(trx, event, userId, urls));
    notices.push({
      userId,
      type: 'event_promoted',
      title: paid ? `A seat freed up at ${event.title}` : `You're going to ${event.title}`,
      body: paid
        ? 'You were first on the waitlist: your ticket is being paid, the seat is yours once it goes through.'
        : 'A seat freed up and you were first on the waitlist.',
      url: `/events/${event.id}`,
    });
    await pushParticipation(trx, event.id, userId, paid ? 'pending_payment' : 'going', running, urls);
  }
  // One statement for all of them: it takes the users' unread counters in one go, in user-id order, so two
  // promotions (of different events) sharing waitlisted users cannot deadlock on them.
  await notifyMany(trx, notices);
  return { going, tickets };
}

/** Participants in join order (going first in time, then the waitlist as it queued). */
export async function listParticipants(
  deps: Pick<Deps, 'db' | 'config'>,
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
  const urls = mediaStoreOf(deps.config);
  return toPage(
    rows,
    query.limit,
    (r) => ({
      user: {
        id: r.user_id,
        username: r.username,
        displayName: r.display_name,
        avatarUrl: avatarUrlOf(r.avatar_key, urls),
      },
      status: r.status,
      joinedAt: r.joined_at.toISOString(),
    }),
    (r) => [r.position],
  );
}
