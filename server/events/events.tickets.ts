// Paid tickets: buying one (an `event_ticket` transfer joiner → organizer) and refunding one (a `refund`
// transfer organizer → joiner). Both run in the caller's transaction, under the event's row lock.
//
// Money moves at most once per ticket: a refund names the ticket it pays back (`refund_of`, unique in the
// wallet), so every path that owes a refund (leaving, cancellation, a payment that arrived for a seat that
// no longer exists) may ask for it and only the first request creates one. Neither tickets nor refunds take
// an idempotency key: those are the users' namespace (POST /transfers), where anyone may write any string,
// so a key the server derived (`refund:<ticket id>`) could be taken first by the organizer to suppress it.
// Until the event ends the ticket money is held in the organizer's account (wallet.funds.ts), so a
// refund asked before then is paid from the hold even if the organizer spent everything else
// (released by events.ticket-release.ts).
import { sql } from 'kysely';
import type { Trx } from '../db/database.ts';
import type { EventRow } from '../db/schema.ts';
import { AppError } from '../lib/errors.ts';
import type { MediaUrls } from '../media/media.objects.ts';
import { formatMoney } from '../wallet/wallet.objects.ts';
import { requestTransfer, spendableCents } from '../wallet/wallet.service.ts';

/** What ticket and refund transfers point at; the settlement hook finds the event from it. */
export const eventReference = (eventId: string): string => `event:${eventId}`;

const REFERENCE = /^event:([0-9a-f-]{36})$/;

/** The event id of a ticket's reference, or null for references that are not ours. */
export function eventIdOfReference(reference: string | null): string | null {
  return reference?.match(REFERENCE)?.[1] ?? null;
}

/**
 * Requests the ticket of `userId`'s current participation (pending_payment) and links the two.
 * No idempotency key: it is bought in the transaction that makes the participation wait for it, under the
 * event's row lock, and the participation's unique `ticket_transfer_id` points at exactly this one.
 * Returns the ticket's transfer id.
 */
export async function buyTicket(
  trx: Trx,
  event: Pick<EventRow, 'id' | 'title' | 'organizer_id' | 'price_cents'>,
  userId: string,
  urls: MediaUrls,
): Promise<string> {
  const { transfer } = await requestTransfer(
    trx,
    {
      kind: 'event_ticket',
      fromUserId: userId,
      toUserId: event.organizer_id,
      amountCents: event.price_cents,
      memo: `Ticket: ${event.title}`,
      reference: eventReference(event.id),
    },
    urls,
  );
  await trx
    .updateTable('event_participants')
    .set({ ticket_transfer_id: transfer.id })
    .where('event_id', '=', event.id)
    .where('user_id', '=', userId)
    .execute();
  return transfer.id;
}

/** Advisory-lock class of a user's paid joins (the two-int4 key space, apart from the relay's bigint key). */
const PAID_JOINS_LOCK = 7_342;

/**
 * Makes one user's paid joins take turns (until commit), so each one's funds check sees the tickets the
 * previous ones bought: concurrent joins cannot all pass on the same money. Taken first in the join's
 * transaction, before the event's row lock, and by nothing that holds a row lock: no lock cycles.
 */
export async function serializePaidJoins(trx: Trx, userId: string): Promise<void> {
  await sql`select pg_advisory_xact_lock(${PAID_JOINS_LOCK}, hashtext(${userId}))`.execute(trx);
}

/**
 * Refuses a ticket the joiner's wallet cannot pay now (held money and pending payments count as gone), so
 * a join with an empty wallet leaves no failed transfer behind. The payment can still fail if money leaves
 * before it settles: the settlement hook removes the joiner then.
 */
export async function checkCanPay(
  trx: Trx,
  event: Pick<EventRow, 'price_cents'>,
  userId: string,
  currency: string,
): Promise<void> {
  const spendable = await spendableCents(trx, userId);
  if (spendable >= event.price_cents) return;
  const price = formatMoney(event.price_cents, currency);
  throw new AppError(
    'conflict',
    `Your balance is too low for this ticket: it costs ${price}, you can spend ${formatMoney(Math.max(spendable, 0), currency)}`,
    { priceCents: event.price_cents, spendableCents: Math.max(spendable, 0) },
  );
}

/**
 * Gives a completed ticket's money back, once. Returns the refund's id when this call created it (to be
 * enqueued after commit); null when the ticket is not completed (nothing was paid, or its own
 * settlement will decide) or when it was refunded before.
 */
export async function refundTicket(trx: Trx, ticketId: string, urls: MediaUrls): Promise<string | null> {
  const ticket = await trx
    .selectFrom('transfers')
    .select(['id', 'from_user_id', 'to_user_id', 'amount_cents', 'reference'])
    .where('id', '=', ticketId)
    .where('kind', '=', 'event_ticket')
    .where('status', '=', 'completed')
    .executeTakeFirst();
  if (!ticket?.from_user_id) return null;
  const { transfer, created } = await requestTransfer(
    trx,
    {
      kind: 'refund',
      fromUserId: ticket.to_user_id,
      toUserId: ticket.from_user_id,
      amountCents: ticket.amount_cents,
      memo: 'Ticket refund',
      refundOf: ticket.id,
      reference: ticket.reference ?? undefined,
    },
    urls,
  );
  return created ? transfer.id : null;
}

/**
 * Refunds every completed ticket of the event not refunded yet (cancellation, rejection). Tickets still
 * pending are refunded by their settlement, which finds the event closed. Returns the new refunds' ids.
 */
export async function refundEventTickets(trx: Trx, eventId: string, urls: MediaUrls): Promise<string[]> {
  const tickets = await trx
    .selectFrom('transfers as t')
    .select('t.id')
    .where('t.reference', '=', eventReference(eventId))
    .where('t.kind', '=', 'event_ticket')
    .where('t.status', '=', 'completed')
    .where(({ not, exists, selectFrom }) =>
      not(exists(selectFrom('transfers as r').select(sql`1`.as('one')).whereRef('r.refund_of', '=', 't.id'))),
    )
    .orderBy('t.id')
    .execute();
  const refunds: string[] = [];
  for (const { id } of tickets) {
    const refund = await refundTicket(trx, id, urls);
    if (refund) refunds.push(refund);
  }
  return refunds;
}

/**
 * Keeps an edit of a sold event's times from releasing its ticket money early (called under the event's
 * row lock). The maintenance worker releases the hold once `ends_at` has passed (events.ticket-release.ts),
 * so once anyone bought a ticket (a pending or completed one: either may hold money):
 * - the end only moves later, never earlier: pulling it into the next minute would have the money released
 *   and spendable, then the dates could move back and later refunds fail for lack of funds;
 * - nothing moves once the end has passed: the release may have run, and a reopened event would sell
 *   tickets whose money is no longer held.
 * Freezing the times outright would also close the hole but forbid an honest postponement; a monotone end
 * needs no new state, and the release re-checks the end under the event's lock, so the two never cross.
 * Unsold events (no hold can exist) move freely.
 */
export async function checkScheduleKeepsTicketMoney(
  trx: Trx,
  before: Pick<EventRow, 'id' | 'starts_at' | 'ends_at'>,
  startsAt: Date,
  endsAt: Date,
): Promise<void> {
  const moved =
    startsAt.getTime() !== before.starts_at.getTime() || endsAt.getTime() !== before.ends_at.getTime();
  if (!moved) return;
  // The database's clock, as the release's: the two must agree on whether the end has passed.
  const { rows } = await sql<{ sold: boolean; ended: boolean }>`
    select exists (select 1 from transfers where reference = ${eventReference(before.id)}
        and kind = 'event_ticket' and status <> 'failed') as sold,
      ${before.ends_at}::timestamptz <= clock_timestamp() as ended`.execute(trx);
  const { sold, ended } = rows[0] ?? { sold: false, ended: false };
  if (!sold) return;
  if (ended)
    throw new AppError('conflict', 'The event has ended and sold tickets: its times can no longer change');
  if (endsAt.getTime() < before.ends_at.getTime()) {
    throw new AppError(
      'conflict',
      'Tickets were sold: the end can only move later (cancel the event to refund everyone instead)',
    );
  }
}
