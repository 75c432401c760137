// Releasing ticket money: once an event has ended (whatever its status), the organizer's hold for it is
// released and the money becomes spendable. Run periodically by the maintenance worker.
//
// Until then the wallet keeps it held (wallet.funds.ts), so every refund owed before the end (leaving
// before the start, cancellation, rejection, a payment for a seat that no longer exists) is paid from it.
// A cancelled or rejected event has refunded its tickets from the hold already; what is left (normally 0)
// is released the same way. A ticket completing after the release is ordinary balance.
// "Ended" is for good: once tickets are sold the end only moves later and never after it has passed
// (checkScheduleKeepsTicketMoney), so an organizer cannot pull the end forward to get the money early.
import { sql } from 'kysely';
import type { Db, Trx } from '../db/database.ts';
import { releaseHold } from '../wallet/wallet.holds.ts';

/** Holds released per transaction loop before the job yields to the next run. */
const RELEASES_PER_RUN = 500;

export interface ReleasedFunds {
  /** Holds released by this run. */
  events: number;
  cents: number;
}

/**
 * Releases the open holds of ended events, each in its own short transaction (one account lock at a
 * time, so it never waits long on a settlement, nor holds one up). Concurrent or repeated runs are
 * harmless: a hold closes exactly once (`releaseHold`); a run that loses the race releases nothing.
 */
export async function releaseEndedEventFunds(db: Db, limit = RELEASES_PER_RUN): Promise<ReleasedFunds> {
  const due = await endedOpenHolds(db, limit);
  const released: ReleasedFunds = { events: 0, cents: 0 };
  for (const hold of due) {
    const cents = await db
      .transaction()
      .execute((trx) => releaseHold(trx, hold.account_id, hold.reference, (t) => hasEnded(t, hold.event_id)));
    if (cents === null) continue;
    released.events += 1;
    released.cents += cents;
  }
  return released;
}

/**
 * Whether the event has ended, read under a share lock on its row (after the account's lock, the order
 * settlements take them in): an edit of its times (events.tickets.ts, under the row lock) either committed
 * before and is seen here, or waits and then finds the end passed and refuses to move it. So a hold is
 * never released for an end that moves later again.
 */
async function hasEnded(trx: Trx, eventId: string): Promise<boolean> {
  const row = await trx
    .selectFrom('events')
    .select(sql<boolean>`ends_at < now()`.as('ended'))
    .where('id', '=', eventId)
    .forShare()
    .executeTakeFirst();
  return row?.ended === true;
}

/** Open holds whose event has ended, oldest end first. Holds of other references are not ours to release. */
async function endedOpenHolds(
  db: Db,
  limit: number,
): Promise<Array<{ account_id: string; reference: string; event_id: string }>> {
  // The CASE keeps the uuid cast away from references that are not `event:<uuid>`; the join then uses
  // the events' primary key for each open hold (few: only events not yet released have one).
  const { rows } = await sql<{ account_id: string; reference: string; event_id: string }>`
    select h.account_id, h.reference, e.id as event_id
    from wallet_holds h
    join events e on e.id = case when h.reference ~ '^event:[0-9a-f-]{36}$'
      then substr(h.reference, 7)::uuid end
    where h.released_at is null and e.ends_at < now()
    order by e.ends_at, h.reference
    limit ${limit}`.execute(db);
  return rows;
}
