import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Actor } from '../../server/auth/actor.ts';
import type { Deps } from '../../server/deps.ts';
import { joinEvent, leaveEvent } from '../../server/events/events.participation.ts';
import { cancelEvent, createEvent } from '../../server/events/events.service.ts';
import { releaseEndedEventFunds } from '../../server/events/events.ticket-release.ts';
import { releaseHold } from '../../server/wallet/wallet.holds.ts';
import { getWallet, requestTransfer } from '../../server/wallet/wallet.service.ts';
import { runMaintenance } from '../../workers/maintenance.ts';
import type { TestContext } from '../helpers/context.ts';
import { testMediaUrls } from '../helpers/fixtures.ts';
import { useTicketHarness } from './ticket-harness.ts';

// Ticket money is held in the organizer's account until the event ends: the organizer cannot spend it,
// refunds are paid from it whatever the organizer did, and the release frees it exactly once.
// Settlement driven by hand (no worker), so each step happens exactly when the test says.
const h = useTicketHarness({ redisName: 'ticket-holds-test' });
const { settle, settleAll, send, person } = h;
let ctx: TestContext;
let deps: Deps;

beforeAll(() => {
  ({ ctx, deps } = h);
});

async function paidEvent(organizer: Actor, priceCents: number) {
  const inMinutes = (m: number) => new Date(Date.now() + m * 60_000).toISOString();
  return createEvent(deps, organizer, {
    title: 'Paid masterclass',
    description: 'Seats are limited.',
    startsAt: inMinutes(120),
    endsAt: inMinutes(180),
    priceCents,
  });
}

/** Moves the event into the past (it has ended): what the release job waits for. */
const endEvent = (eventId: string) =>
  sql`update events set starts_at = now() - interval '3 hours', ends_at = now() - interval '1 hour'
    where id = ${eventId}`.execute(ctx.db);

const funds = async (actor: Actor) => {
  const wallet = await getWallet(deps, actor);
  return { balance: wallet.balanceCents, held: wallet.heldCents };
};

const hold = (organizer: Actor, eventId: string) =>
  ctx.db
    .selectFrom('wallet_holds as h')
    .innerJoin('wallet_accounts as a', 'a.id', 'h.account_id')
    .select(['h.held_cents', 'h.released_at'])
    .where('a.user_id', '=', organizer.userId)
    .where('h.reference', '=', `event:${eventId}`)
    .executeTakeFirst();

/** Joins and pays (the settlement makes them going). */
async function buy(eventId: string, buyer: Actor): Promise<void> {
  expect((await joinEvent(deps, buyer, { eventId })).status).toBe('pending_payment');
  await settleAll();
}

const refundsOf = (eventId: string) =>
  ctx.db
    .selectFrom('transfers')
    .select(['to_user_id', 'status', 'amount_cents'])
    .where('reference', '=', `event:${eventId}`)
    .where('kind', '=', 'refund')
    .execute();

describe('ticket money held until the event ends', () => {
  it('keeps ticket money from being sent away before the end; only the organizer’s own money moves', async () => {
    const [organizer, friend, ana] = await Promise.all([person(500), person(0), person(3_000)]);
    const event = await paidEvent(organizer, 2_000);
    await buy(event.id, ana);
    expect(await funds(organizer)).toEqual({ balance: 2_500, held: 2_000 });

    expect(await send(organizer, friend, 2_500)).toBe('failed'); // insufficient_funds: 2,000 of it is held
    expect(await send(organizer, friend, 501)).toBe('failed');
    expect(await send(organizer, friend, 500)).toBe('completed'); // available money is still spendable
    expect(await send(organizer, friend, 1)).toBe('failed');
    expect(await funds(organizer)).toEqual({ balance: 2_000, held: 2_000 });
    expect(await funds(friend)).toEqual({ balance: 500, held: 0 });
  });

  it('refunds a participant who leaves before the start although the organizer tried to spend it all', async () => {
    const [organizer, friend, ben, cal] = await Promise.all([
      person(0),
      person(0),
      person(1_000),
      person(1_000),
    ]);
    const event = await paidEvent(organizer, 1_000);
    await buy(event.id, ben);
    await buy(event.id, cal);
    expect(await funds(organizer)).toEqual({ balance: 2_000, held: 2_000 });
    // Everything the organizer tries to send away fails: none of it is available.
    expect(await send(organizer, friend, 2_000)).toBe('failed');
    expect(await send(organizer, friend, 1_000)).toBe('failed');

    expect((await leaveEvent(deps, ben, { eventId: event.id })).status).toBeNull();
    await settleAll();
    expect(await refundsOf(event.id)).toEqual([
      { to_user_id: ben.userId, status: 'completed', amount_cents: 1_000 },
    ]);
    expect(await funds(ben)).toEqual({ balance: 1_000, held: 0 });
    expect(await funds(organizer)).toEqual({ balance: 1_000, held: 1_000 });
    expect(await hold(organizer, event.id)).toMatchObject({ held_cents: 1_000, released_at: null });
  });

  it('refunds every ticket in full on cancellation after the organizer spent all their available money', async () => {
    const [organizer, friend] = await Promise.all([person(700), person(0)]);
    const buyers = await Promise.all([person(1_500), person(1_500), person(1_500)]);
    const event = await paidEvent(organizer, 1_500);
    for (const buyer of buyers) await buy(event.id, buyer);
    expect(await send(organizer, friend, 700)).toBe('completed');
    expect(await funds(organizer)).toEqual({ balance: 4_500, held: 4_500 });

    await cancelEvent(deps, organizer, event.id);
    await settleAll();
    const refunds = await refundsOf(event.id);
    expect(refunds).toHaveLength(3);
    expect(refunds.every((r) => r.status === 'completed' && r.amount_cents === 1_500)).toBe(true);
    for (const buyer of buyers) expect(await funds(buyer)).toEqual({ balance: 1_500, held: 0 });
    expect(await funds(organizer)).toEqual({ balance: 0, held: 0 });

    // Released at the end like any event's hold: nothing is left in it, nothing changes.
    await endEvent(event.id);
    await releaseEndedEventFunds(ctx.db);
    expect(await hold(organizer, event.id)).toMatchObject({ held_cents: 0, released_at: expect.any(Date) });
    expect(await funds(organizer)).toEqual({ balance: 0, held: 0 });
  });

  it('releases the money of an ended event exactly once, however many runs race, and then it can be spent', async () => {
    const [organizer, friend, dan, eve] = await Promise.all([
      person(0),
      person(0),
      person(1_100),
      person(800),
    ]);
    const event = await paidEvent(organizer, 800);
    const other = await paidEvent(organizer, 300); // not ended: stays held
    await buy(event.id, dan);
    await buy(event.id, eve);
    await buy(other.id, dan);
    expect(await funds(organizer)).toEqual({ balance: 1_900, held: 1_900 });

    // Nothing has ended yet: a run releases nothing.
    await releaseEndedEventFunds(ctx.db);
    expect(await funds(organizer)).toEqual({ balance: 1_900, held: 1_900 });

    await endEvent(event.id);
    // Several runs of the job racing each other and direct releases of the same hold: one wins.
    const account = await accountOf(organizer);
    const reference = `event:${event.id}`;
    const [direct, runs] = await Promise.all([
      Promise.all(
        Array.from({ length: 4 }, () =>
          ctx.db.transaction().execute((trx) => releaseHold(trx, account, reference)),
        ),
      ),
      Promise.all(Array.from({ length: 3 }, () => releaseEndedEventFunds(ctx.db))),
    ]);
    const won = [
      ...direct.filter((cents) => cents !== null),
      ...runs.filter((r) => r.events > 0).map((r) => r.cents),
    ];
    expect(won).toEqual([1_600]);
    expect(await funds(organizer)).toEqual({ balance: 1_900, held: 300 });
    expect(await hold(organizer, event.id)).toMatchObject({
      held_cents: 1_600,
      released_at: expect.any(Date),
    });
    // Once more, later: already released, nothing moves.
    expect(await releaseEndedEventFunds(ctx.db)).toEqual({ events: 0, cents: 0 });
    expect(await ctx.db.transaction().execute((trx) => releaseHold(trx, account, reference))).toBeNull();
    expect(await funds(organizer)).toEqual({ balance: 1_900, held: 300 });

    expect(await send(organizer, friend, 1_601)).toBe('failed'); // the other event's 300 stay held
    expect(await send(organizer, friend, 1_600)).toBe('completed');
    expect(await funds(organizer)).toEqual({ balance: 300, held: 300 });

    // The maintenance worker's task does the same for the other event once it has ended.
    await endEvent(other.id);
    const maintenance = { db: ctx.db, logger: deps.logger, eventLogRetentionHours: 24 };
    await runMaintenance(maintenance, { task: 'release-ticket-funds' });
    expect(await funds(organizer)).toEqual({ balance: 300, held: 0 });
    expect(await send(organizer, friend, 300)).toBe('completed');
  });

  it('pays a refund asked after the release from available money, failing if the organizer spent it', async () => {
    const [organizer, friend, fay] = await Promise.all([person(0), person(0), person(600)]);
    const event = await paidEvent(organizer, 600);
    await buy(event.id, fay);
    await endEvent(event.id);
    await releaseEndedEventFunds(ctx.db);
    expect(await send(organizer, friend, 600)).toBe('completed');
    // A moderator cancels after the end: the refund is owed but the money is gone, as before holds.
    await cancelEvent(deps, await person(0, 'moderator'), event.id);
    await settleAll();
    expect(await refundsOf(event.id)).toEqual([
      { to_user_id: fay.userId, status: 'failed', amount_cents: 600 },
    ]);
    expect(await funds(organizer)).toEqual({ balance: 0, held: 0 });
  });

  it('pays a refund that races the release either way, from the hold or from the released money', async () => {
    const organizer = await person(0);
    const rounds = await Promise.all(
      Array.from({ length: 6 }, async () => {
        const buyer = await person(400);
        const event = await paidEvent(organizer, 400);
        await buy(event.id, buyer);
        return { buyer, event };
      }),
    );
    // Each refund is recorded (cancelled), the event ends, then its settlement and the release race.
    const refunds: string[] = [];
    for (const { event } of rounds) {
      await cancelEvent(deps, organizer, event.id);
      await endEvent(event.id);
      const [refund] = await ctx.db
        .selectFrom('transfers')
        .select('id')
        .where('reference', '=', `event:${event.id}`)
        .where('kind', '=', 'refund')
        .execute();
      refunds.push(refund!.id);
    }
    await Promise.all([
      ...refunds.map((id) => settle([id])),
      releaseEndedEventFunds(ctx.db),
      releaseEndedEventFunds(ctx.db),
    ]);
    await settleAll();
    await releaseEndedEventFunds(ctx.db);
    for (const { buyer, event } of rounds) {
      expect(await funds(buyer)).toEqual({ balance: 400, held: 0 });
      expect(await hold(organizer, event.id)).toMatchObject({ released_at: expect.any(Date) });
    }
    expect(await funds(organizer)).toEqual({ balance: 0, held: 0 });
  });

  it('has the database refuse held money above the balance, spent held money, or held money without holds', async () => {
    const [organizer, gus] = await Promise.all([person(100), person(900)]);
    const event = await paidEvent(organizer, 900);
    await buy(event.id, gus);
    const account = await ctx.db
      .selectFrom('wallet_accounts')
      .select(['id', 'balance_cents', 'held_cents'])
      .where('user_id', '=', organizer.userId)
      .executeTakeFirstOrThrow();
    expect(account).toMatchObject({ balance_cents: 1_000, held_cents: 900 });

    // More held than the balance: the CHECK, at once.
    await expect(
      sql`update wallet_accounts set held_cents = balance_cents + 1 where id = ${account.id}`.execute(ctx.db),
    ).rejects.toThrow(/wallet_accounts_held/);
    // Spending held money past the settlement's rules (entries written by hand for a pending transfer):
    // the same CHECK, as the ledger trigger lowers the balance under the held amount.
    const { transfer } = await ctx.db.transaction().execute((trx) =>
      requestTransfer(
        trx,
        {
          kind: 'transfer',
          fromUserId: organizer.userId,
          toUserId: gus.userId,
          amountCents: 200,
        },
        testMediaUrls,
      ),
    );
    // Completed and posted in one statement, as the ledger's checks require (migrations/0024), so that
    // only the held-money CHECK stands in the way.
    const gusAccount = await accountOf(gus);
    await expect(
      sql`with completed as (
          update transfers set status = 'completed', completed_at = now(),
            settled_seq = nextval('transfers_settled_seq') where id = ${transfer.id} returning id
        )
        insert into ledger_entries (transfer_id, account_id, amount_cents)
        select id, ${account.id}::uuid, -200 from completed
        union all select id, ${gusAccount}::uuid, 200 from completed`.execute(ctx.db),
    ).rejects.toThrow(/wallet_accounts_held/);
    // Held money that no open hold accounts for: the deferred check, at commit.
    await expect(
      sql`update wallet_accounts set held_cents = held_cents - 1 where id = ${account.id}`.execute(ctx.db),
    ).rejects.toThrow(/does not match its open holds/);
    // A released hold is final.
    await endEvent(event.id);
    await releaseEndedEventFunds(ctx.db);
    await expect(
      sql`update wallet_holds set released_at = null, released_seq = null where account_id = ${account.id}`.execute(
        ctx.db,
      ),
    ).rejects.toThrow(/already released/);
    expect(await funds(organizer)).toEqual({ balance: 1_000, held: 0 });
  });
});

const accountOf = async (actor: Actor) =>
  (
    await ctx.db
      .selectFrom('wallet_accounts')
      .select('id')
      .where('user_id', '=', actor.userId)
      .executeTakeFirstOrThrow()
  ).id;
