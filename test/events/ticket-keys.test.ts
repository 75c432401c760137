import type { Transfer } from '@plaza/client/protocol';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Actor } from '../../server/auth/actor.ts';
import type { Deps } from '../../server/deps.ts';
import { joinEvent, leaveEvent } from '../../server/events/events.participation.ts';
import { cancelEvent, createEvent } from '../../server/events/events.service.ts';
import { type SettlementHooks, settleNextPending } from '../../server/wallet/wallet.settlement.ts';
import type { TestContext } from '../helpers/context.ts';
import { bearer, type TestUser } from '../helpers/factories.ts';
import { testMediaUrls } from '../helpers/fixtures.ts';
import type { InProcessApp } from '../helpers/in-process-app.ts';
import { useTicketHarness } from './ticket-harness.ts';

// The keys users choose for their transfers and the server's own ticket and refund transfers live apart:
// whatever Idempotency-Key someone sends, refunds are still paid exactly once and settlements go through.
// Users' transfers go through the real route; settlement is driven by hand.
const h = useTicketHarness({ inProcessApp: true });
const { settleAll, fundedUser: person } = h;
let ctx: TestContext;
let app: InProcessApp;
let deps: Deps;
let hooks: SettlementHooks;

beforeAll(() => {
  ({ ctx, deps, hooks } = h);
  app = h.app as InProcessApp;
});

const actorOf = (u: TestUser): Actor => ({
  userId: u.id,
  username: u.username,
  sessionId: u.sessionId,
  role: u.role,
});

async function paidEvent(organizer: TestUser, priceCents: number, capacity?: number) {
  const inMinutes = (m: number) => new Date(Date.now() + m * 60_000).toISOString();
  return createEvent(deps, actorOf(organizer), {
    title: 'Paid tasting',
    description: 'Six wines.',
    startsAt: inMinutes(120),
    endsAt: inMinutes(180),
    priceCents,
    capacity,
  });
}

/** POST /transfers through the app, with the Idempotency-Key the user chose. */
async function sendWithKey(
  from: TestUser,
  to: TestUser,
  cents: number,
  key: string,
): Promise<[number, Transfer]> {
  const res = await app.app.request('/api/v1/transfers', {
    method: 'POST',
    headers: { ...bearer(from), 'content-type': 'application/json', 'idempotency-key': key },
    body: JSON.stringify({ to: to.username, amountCents: cents }),
  });
  return [res.status, (await res.json()) as Transfer];
}

const transfersOf = (eventId: string, kind: 'event_ticket' | 'refund', userId: string) =>
  ctx.db
    .selectFrom('transfers')
    .select(['id', 'status', 'amount_cents'])
    .where('reference', '=', `event:${eventId}`)
    .where('kind', '=', kind)
    .where(kind === 'refund' ? 'to_user_id' : 'from_user_id', '=', userId)
    .orderBy('created_at')
    .execute();

const balance = async (user: TestUser) =>
  (
    await ctx.db
      .selectFrom('wallet_accounts')
      .select('balance_cents')
      .where('user_id', '=', user.id)
      .executeTakeFirst()
  )?.balance_cents ?? 0;

describe('user idempotency keys never meet the server’s own transfers', () => {
  it('refunds a buyer exactly once on cancellation although the organizer sent a transfer keyed refund:<ticket>', async () => {
    const [organizer, friend, buyer] = await Promise.all([person(300), person(0), person(1_500)]);
    const event = await paidEvent(organizer, 1_500);
    expect((await joinEvent(deps, actorOf(buyer), { eventId: event.id })).status).toBe('pending_payment');
    await settleAll();
    const [ticket] = await transfersOf(event.id, 'event_ticket', buyer.id);
    expect(ticket?.status).toBe('completed');

    // The organizer sees the ticket's id (they are its recipient) and takes the refund's old key.
    const [status, own] = await sendWithKey(organizer, friend, 100, `refund:${ticket!.id}`);
    expect(status).toBe(202);
    expect(own.kind).toBe('transfer');
    await settleAll();

    await cancelEvent(deps, actorOf(organizer), event.id);
    // Asking again (leaving the cancelled event) finds the same refund.
    await leaveEvent(deps, actorOf(buyer), { eventId: event.id });
    await settleAll();
    const refunds = await transfersOf(event.id, 'refund', buyer.id);
    expect(refunds).toEqual([{ id: expect.any(String), status: 'completed', amount_cents: 1_500 }]);
    expect(await balance(buyer)).toBe(1_500);
    expect(await balance(organizer)).toBe(200);
    expect(await balance(friend)).toBe(100);
  });

  it('refunds a leaver whose ticket id the organizer used as a key, and the organizer’s transfer stays theirs', async () => {
    const [organizer, friend, buyer] = await Promise.all([person(0), person(0), person(800)]);
    const event = await paidEvent(organizer, 800);
    await joinEvent(deps, actorOf(buyer), { eventId: event.id });
    await settleAll();
    const [ticket] = await transfersOf(event.id, 'event_ticket', buyer.id);
    const key = `refund:${ticket!.id}`;
    expect((await sendWithKey(organizer, friend, 800, key))[0]).toBe(202);
    await settleAll(); // fails: the ticket money is held

    expect((await leaveEvent(deps, actorOf(buyer), { eventId: event.id })).status).toBeNull();
    await settleAll();
    expect(await transfersOf(event.id, 'refund', buyer.id)).toEqual([
      { id: expect.any(String), status: 'completed', amount_cents: 800 },
    ]);
    expect(await balance(buyer)).toBe(800);
    // The organizer's own key still answers their own transfer (a replay), nothing else.
    const [replayStatus, replay] = await sendWithKey(organizer, friend, 800, key);
    expect(replayStatus).toBe(200);
    expect(replay).toMatchObject({ kind: 'transfer', status: 'failed', to: { username: friend.username } });
  });

  it('settles a batch holding a pending ticket of a cancelled event whose refund key the organizer took', async () => {
    const [organizer, friend, buyer, other] = await Promise.all([
      person(0),
      person(0),
      person(600),
      person(50),
    ]);
    const event = await paidEvent(organizer, 600);
    await joinEvent(deps, actorOf(buyer), { eventId: event.id });
    const [ticket] = await transfersOf(event.id, 'event_ticket', buyer.id);
    expect(ticket?.status).toBe('pending');
    expect((await sendWithKey(organizer, friend, 1, `refund:${ticket!.id}`))[0]).toBe(202);
    await cancelEvent(deps, actorOf(organizer), event.id);
    // An unrelated transfer shares the drain's batch with the ticket.
    expect((await sendWithKey(other, friend, 50, 'rent'))[0]).toBe(202);

    const batch = await settleNextPending({ db: ctx.db, currency: 'EUR', hooks, urls: testMediaUrls }, 100);
    expect(batch.ids).toContain(ticket!.id);
    await settleAll();
    expect(await transfersOf(event.id, 'refund', buyer.id)).toEqual([
      { id: expect.any(String), status: 'completed', amount_cents: 600 },
    ]);
    expect(await balance(buyer)).toBe(600);
    expect(await balance(other)).toBe(0);
    expect(await balance(friend)).toBe(50);
  });

  it('promotes a waitlisted buyer who used a ticket-shaped key, and the leaver’s leave goes through', async () => {
    const [organizer, friend, ana, ben] = await Promise.all([
      person(0),
      person(0),
      person(1_000),
      person(2_000),
    ]);
    const event = await paidEvent(organizer, 1_000, 1);
    await joinEvent(deps, actorOf(ana), { eventId: event.id });
    await settleAll();
    await joinEvent(deps, actorOf(ben), { eventId: event.id });
    await settleAll(); // no seat left: waitlisted, refunded
    // Ben takes the key the server once gave his next ticket for this event.
    expect((await sendWithKey(ben, friend, 1, `ticket:${event.id}:${ben.id}:2`))[0]).toBe(202);

    expect((await leaveEvent(deps, actorOf(ana), { eventId: event.id })).status).toBeNull();
    await settleAll();
    const tickets = await transfersOf(event.id, 'event_ticket', ben.id);
    expect(tickets.map((t) => t.status)).toEqual(['completed', 'completed']);
    const row = await ctx.db
      .selectFrom('event_participants')
      .select('status')
      .where('event_id', '=', event.id)
      .where('user_id', '=', ben.id)
      .executeTakeFirst();
    expect(row?.status).toBe('going');
    expect(await balance(ana)).toBe(1_000);
    expect(await balance(ben)).toBe(999);
  });
});
