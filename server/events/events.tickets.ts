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
import { requestTransfer } from '../wallet/wallet.service.ts';

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
): Promise<string> {
  const { transfer } = await requestTransfer(trx, {
    kind: 'event_ticket',
    fromUserId: userId,
    toUserId: event.organizer_id,
    amountCents: event.price_cents,
    memo: `Ticket: ${event.title}`,
    reference: eventReference(event.id),
  });
  await trx
    .updateTable('event_participants')
    .set({ ticket_transfer_id: transfer.id })
    .where('event_id', '=', event.id)
    .where('user_id', '=', userId)
    .execute();
  return transfer.id;
}

/**
 * Gives a completed ticket's money back, once. Returns the refund's id when this call created it (to be
 * enqueued after commit); null when the ticket is not completed (nothing was paid, or its own
 * settlement will decide) or when it was refunded before.
 */
export async function refundTicket(trx: Trx, ticketId: string): Promise<string | null> {
  const ticket = await trx
    .selectFrom('transfers')
    .select(['id', 'from_user_id', 'to_user_id', 'amount_cents', 'reference'])
    .where('id', '=', ticketId)
    .where('kind', '=', 'event_ticket')
    .where('status', '=', 'completed')
    .executeTakeFirst();
  if (!ticket?.from_user_id) return null;
  const { transfer, created } = await requestTransfer(trx, {
    kind: 'refund',
    fromUserId: ticket.to_user_id,
    toUserId: ticket.from_user_id,
    amountCents: ticket.amount_cents,
    memo: 'Ticket refund',
    refundOf: ticket.id,
    reference: ticket.reference ?? undefined,
  });
  return created ? transfer.id : null;
}

/**
 * Refunds every completed ticket of the event not refunded yet (cancellation, rejection). Tickets still
 * pending are refunded by their settlement, which finds the event closed. Returns the new refunds' ids.
 */
export async function refundEventTickets(trx: Trx, eventId: string): Promise<string[]> {
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
    const refund = await refundTicket(trx, id);
    if (refund) refunds.push(refund);
  }
  return refunds;
}
