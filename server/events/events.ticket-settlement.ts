// What a settled ticket does to its participation. Runs inside the wallet's settlement transaction (a
// SettlementHooks hook, registered by the workers), so the seat and the money change together or not at all.
//
// - completed, the participation still waiting for this very ticket, the event published:
//   a free seat → `going` (its reminder scheduled); no seat left → `waitlisted` and the ticket refunded.
// - completed otherwise (left meanwhile, re-joined with another ticket, the event cancelled or rejected):
//   refunded; a pending participation of a closed event is removed.
// - failed (insufficient funds): the participation is removed and the joiner told, once: the notification
//   takes the wallet's dedupe key for the transfer, so the wallet's generic `transfer_failed` is not sent too.
import type { Trx } from '../db/database.ts';
import type { EventRow } from '../db/schema.ts';
import type { Deps } from '../deps.ts';
import { mediaStoreOf } from '../media/store.factory.ts';
import { notify } from '../notifications/notifications.service.ts';
import { formatMoney } from '../wallet/wallet.objects.ts';
import { enqueueSettlement } from '../wallet/wallet.service.ts';
import { type SettledTransfer, type SettlementHook, transferDedupeKey } from '../wallet/wallet.settlement.ts';
import { promoteToCapacity, pushParticipation } from './events.participation.ts';
import { scheduleReminders } from './events.reminders.ts';
import {
  deleteParticipant,
  findParticipant,
  lockEvent,
  setParticipantStatus,
  updateEvent,
} from './events.repository.ts';
import { eventIdOfReference, refundTicket } from './events.tickets.ts';

export type TicketSettlementDeps = Pick<Deps, 'queues' | 'logger' | 'config'>;

/** A reminder due at once waits this long, so that it runs after the settlement commits. */
const AFTER_COMMIT_MS = 5_000;

/**
 * The `event_ticket` hook. Transfers it records (refunds, tickets of promoted participants) and reminders
 * are enqueued before the settlement commits, as the hook cannot run after it: the settlement wake-up it
 * sends is kept while the current drain runs and starts after it, so the new transfers settle right
 * after this commit (the sweeper, within ~7 s, is only the fallback); a reminder due at once is delayed
 * a few seconds so that it finds the participant going.
 */
export function ticketSettlementHook(deps: TicketSettlementDeps): SettlementHook {
  return async (trx, settled) => {
    const { transfers, going } = await applyTicket(trx, deps, settled);
    for (const id of transfers) await enqueueSettlement(deps, id);
    if (going) await scheduleReminders(deps, going.event, going.userIds, AFTER_COMMIT_MS);
  };
}

interface TicketOutcome {
  transfers: string[];
  going: { event: EventRow; userIds: string[] } | null;
}

async function applyTicket(
  trx: Trx,
  deps: TicketSettlementDeps,
  { transfer, reference }: SettledTransfer,
): Promise<TicketOutcome> {
  const eventId = eventIdOfReference(reference);
  const urls = mediaStoreOf(deps.config);
  const outcome: TicketOutcome = { transfers: [], going: null };
  if (!transfer.from) return outcome;
  const userId = transfer.from.id;
  const event = eventId ? await lockEvent(trx, eventId) : undefined;
  const participant = event ? await findParticipant(trx, event.id, userId) : undefined;
  const waiting = participant?.status === 'pending_payment' && participant.ticket_transfer_id === transfer.id;

  if (transfer.status === 'failed') {
    if (!event || !waiting) return outcome; // left before the payment failed: nothing was paid, nothing held
    await deleteParticipant(trx, event.id, userId);
    await pushParticipation(trx, event.id, userId, null, event, urls);
    await notify(trx, {
      userId,
      type: 'transfer_failed',
      title: `Your ticket for ${event.title} could not be paid`,
      body: `Not enough funds for ${formatMoney(transfer.amountCents, deps.config.currency)}: you are not on the list. Add funds and join again.`,
      url: `/events/${event.id}`,
      dedupeKey: transferDedupeKey(transfer.id),
    });
    // The seat this payment was reserved against in promotions is offered to the waitlist again.
    const promotion = await promoteToCapacity(trx, event, urls);
    outcome.transfers.push(...promotion.tickets);
    if (promotion.going.length > 0) outcome.going = { event, userIds: promotion.going };
    return outcome;
  }

  if (!event || !waiting || event.status !== 'published') {
    if (event && waiting) {
      await deleteParticipant(trx, event.id, userId);
      await pushParticipation(trx, event.id, userId, null, event, urls);
    }
    const refund = await refundTicket(trx, transfer.id, urls);
    if (refund) outcome.transfers.push(refund);
    return outcome;
  }

  if (event.capacity === null || event.going_count < event.capacity) {
    const counts = { going_count: event.going_count + 1, waitlist_count: event.waitlist_count };
    await setParticipantStatus(trx, event.id, [userId], 'going');
    await updateEvent(trx, event.id, counts);
    await pushParticipation(trx, event.id, userId, 'going', counts, urls);
    outcome.going = { event: { ...event, ...counts }, userIds: [userId] };
    return outcome;
  }

  // Paid, but the seats went to faster payments: back to the waitlist (join order kept), money back.
  const counts = { going_count: event.going_count, waitlist_count: event.waitlist_count + 1 };
  await setParticipantStatus(trx, event.id, [userId], 'waitlisted');
  await updateEvent(trx, event.id, counts);
  await pushParticipation(trx, event.id, userId, 'waitlisted', counts, urls);
  const refund = await refundTicket(trx, transfer.id, urls);
  if (refund) outcome.transfers.push(refund);
  return outcome;
}
