import type { Role } from '@plaza/client/protocol';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Actor } from '../../server/auth/actor.ts';
import type { Deps } from '../../server/deps.ts';
import { joinEvent, leaveEvent } from '../../server/events/events.participation.ts';
import { cancelEvent, createEvent } from '../../server/events/events.service.ts';
import { requestTransfer } from '../../server/wallet/wallet.service.ts';
import type { TestContext } from '../helpers/context.ts';
import { testMediaUrls } from '../helpers/fixtures.ts';
import { useTicketHarness } from './ticket-harness.ts';

// The settlement hook driven by hand, with no worker running: every interleaving of a payment with a
// leave, a re-join or a cancellation is set up exactly, then settled in the order chosen here.
const h = useTicketHarness({ redisName: 'tickets-settlement-test' });
const { settle, settleAll, fundedUser } = h;
let ctx: TestContext;
let deps: Deps;

beforeAll(() => {
  ({ ctx, deps } = h);
});

async function person(cents: number, role: Role = 'member'): Promise<Actor> {
  const user = await fundedUser(cents, role);
  return { userId: user.id, username: user.username, sessionId: user.sessionId, role };
}

async function paidEvent(organizer: Actor, priceCents: number, capacity?: number) {
  const inMinutes = (m: number) => new Date(Date.now() + m * 60_000).toISOString();
  return createEvent(deps, organizer, {
    title: 'Paid workshop',
    description: 'Bring a laptop.',
    startsAt: inMinutes(120),
    endsAt: inMinutes(180),
    priceCents,
    capacity,
  });
}

/** A transfer recorded and settled at once, ahead of anything pending (money leaving in between). */
async function spend(from: Actor, to: Actor, cents: number): Promise<void> {
  const { transfer } = await ctx.db.transaction().execute((trx) =>
    requestTransfer(
      trx,
      {
        kind: 'transfer',
        fromUserId: from.userId,
        toUserId: to.userId,
        amountCents: cents,
      },
      testMediaUrls,
    ),
  );
  await settle([transfer.id]);
}

const balance = async (actor: Actor) =>
  (
    await ctx.db
      .selectFrom('wallet_accounts')
      .select('balance_cents')
      .where('user_id', '=', actor.userId)
      .executeTakeFirst()
  )?.balance_cents ?? 0;

const ticketsOf = (eventId: string, actor: Actor) =>
  ctx.db
    .selectFrom('transfers')
    .select(['id', 'status', 'kind'])
    .where('reference', '=', `event:${eventId}`)
    .where((eb) => eb.or([eb('from_user_id', '=', actor.userId), eb('to_user_id', '=', actor.userId)]))
    .orderBy('created_at')
    .execute();

const statusOf = async (eventId: string, actor: Actor) =>
  (
    await ctx.db
      .selectFrom('event_participants')
      .select('status')
      .where('event_id', '=', eventId)
      .where('user_id', '=', actor.userId)
      .executeTakeFirst()
  )?.status ?? null;

describe('ticket settlement', () => {
  it('refunds a payment that completes after its joiner left, and seats them by their second ticket', async () => {
    const [organizer, ana] = await Promise.all([person(0), person(5_000)]);
    const event = await paidEvent(organizer, 2_000);
    expect((await joinEvent(deps, ana, { eventId: event.id })).status).toBe('pending_payment');
    expect((await leaveEvent(deps, ana, { eventId: event.id })).status).toBeNull();
    expect((await joinEvent(deps, ana, { eventId: event.id })).status).toBe('pending_payment');
    const [first, second] = await ticketsOf(event.id, ana);
    expect([first?.kind, second?.kind]).toEqual(['event_ticket', 'event_ticket']);

    await settle([first!.id, second!.id]);
    expect(await statusOf(event.id, ana)).toBe('going');
    await settleAll();
    const transfers = await ticketsOf(event.id, ana);
    expect(transfers.map((t) => [t.kind, t.status])).toEqual([
      ['event_ticket', 'completed'],
      ['event_ticket', 'completed'],
      ['refund', 'completed'],
    ]);
    expect(await balance(ana)).toBe(3_000);
    expect(await balance(organizer)).toBe(2_000);
  });

  it('refunds and removes a payment that completes after the event was cancelled', async () => {
    const [organizer, ben] = await Promise.all([person(0), person(1_000)]);
    const event = await paidEvent(organizer, 1_000);
    await joinEvent(deps, ben, { eventId: event.id });
    await cancelEvent(deps, organizer, event.id);
    await settleAll();
    expect(await statusOf(event.id, ben)).toBeNull();
    expect((await ticketsOf(event.id, ben)).map((t) => [t.kind, t.status])).toEqual([
      ['event_ticket', 'completed'],
      ['refund', 'completed'],
    ]);
    expect(await balance(ben)).toBe(1_000);
    expect(await balance(organizer)).toBe(0);
  });

  it('removes a joiner whose money left before their payment settled, and tells them once', async () => {
    const [organizer, friend, dot] = await Promise.all([person(0), person(0), person(1_000)]);
    const event = await paidEvent(organizer, 1_000, 5);
    expect((await joinEvent(deps, dot, { eventId: event.id })).status).toBe('pending_payment');
    // Joining checked the money; spending it before the ticket settles is the race settlement handles.
    await spend(dot, friend, 1_000);
    await settleAll();
    expect((await ticketsOf(event.id, dot)).map((t) => t.status)).toEqual(['failed']);
    expect(await statusOf(event.id, dot)).toBeNull();
    const notes = await ctx.db
      .selectFrom('notifications')
      .select(['type', 'url'])
      .where('user_id', '=', dot.userId)
      .where('type', '=', 'transfer_failed')
      .execute();
    expect(notes).toEqual([{ type: 'transfer_failed', url: `/events/${event.id}` }]);
    const row = await ctx.db
      .selectFrom('events')
      .select(['going_count', 'waitlist_count'])
      .where('id', '=', event.id)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ going_count: 0, waitlist_count: 0 });
  });

  it('does nothing more for a failed payment whose joiner already left', async () => {
    const [organizer, friend, cal] = await Promise.all([person(0), person(0), person(1_000)]);
    const event = await paidEvent(organizer, 1_000);
    await joinEvent(deps, cal, { eventId: event.id });
    await leaveEvent(deps, cal, { eventId: event.id });
    await spend(cal, friend, 1_000);
    await settleAll();
    expect((await ticketsOf(event.id, cal)).map((t) => t.status)).toEqual(['failed']);
    const notes = await ctx.db
      .selectFrom('notifications')
      .select(['type', 'url'])
      .where('user_id', '=', cal.userId)
      .where('type', '=', 'transfer_failed')
      .execute();
    // Only the wallet's own notice: no participation was removed by the failure.
    expect(notes).toEqual([{ type: 'transfer_failed', url: '/wallet' }]);
  });

  it('never seats more than capacity when payments complete at once, refunding the rest', async () => {
    const organizer = await person(0);
    const buyers = await Promise.all(Array.from({ length: 8 }, () => person(1_000)));
    const event = await paidEvent(organizer, 700, 3);
    await Promise.all(buyers.map((b) => joinEvent(deps, b, { eventId: event.id })));
    const tickets = await ctx.db
      .selectFrom('transfers')
      .select('id')
      .where('reference', '=', `event:${event.id}`)
      .execute();
    expect(tickets).toHaveLength(8);
    // Settled by concurrent settlements, each alone, racing for the event's row.
    await Promise.all(tickets.map((t) => settle([t.id])));
    await settleAll();
    const statuses = await Promise.all(buyers.map((b) => statusOf(event.id, b)));
    expect(statuses.filter((s) => s === 'going')).toHaveLength(3);
    expect(statuses.filter((s) => s === 'waitlisted')).toHaveLength(5);
    const row = await ctx.db
      .selectFrom('events')
      .select(['going_count', 'waitlist_count'])
      .where('id', '=', event.id)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ going_count: 3, waitlist_count: 5 });
    const balances = await Promise.all(buyers.map(balance));
    expect(balances.filter((b) => b === 300)).toHaveLength(3);
    expect(balances.filter((b) => b === 1_000)).toHaveLength(5);
    expect(await balance(organizer)).toBe(2_100);
  });

  it('lets the organizer attend their own paid event without a ticket', async () => {
    const organizer = await person(0);
    const event = await paidEvent(organizer, 900, 2);
    expect(await joinEvent(deps, organizer, { eventId: event.id })).toEqual({
      status: 'going',
      goingCount: 1,
      waitlistCount: 0,
    });
    expect(await ticketsOf(event.id, organizer)).toEqual([]);
  });
});
