import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Actor } from '../../server/auth/actor.ts';
import type { Deps } from '../../server/deps.ts';
import { joinEvent } from '../../server/events/events.participation.ts';
import { cancelEvent, createEvent, updateEventDetails } from '../../server/events/events.service.ts';
import { releaseEndedEventFunds } from '../../server/events/events.ticket-release.ts';
import { getWallet } from '../../server/wallet/wallet.service.ts';
import { runMaintenance } from '../../workers/maintenance.ts';
import type { TestContext } from '../helpers/context.ts';
import { waitFor } from '../helpers/wait.ts';
import { useTicketHarness } from './ticket-harness.ts';

// Ticket money is released only once the event has ended for good: an organizer cannot pull the end
// forward to have the maintenance worker release the money early, nor reopen an ended event whose money
// was released. Settlement and the release task driven by hand; the end of an event is reached by moving
// it into the past in the database, as the other hold tests do.
const h = useTicketHarness({ redisName: 'ticket-hold-schedule-test' });
const { settleAll, send, person } = h;
let ctx: TestContext;
let deps: Deps;

beforeAll(() => {
  ({ ctx, deps } = h);
});

const inMinutes = (m: number) => new Date(Date.now() + m * 60_000).toISOString();

async function soldEvent(organizer: Actor, buyer: Actor, priceCents: number) {
  const event = await createEvent(deps, organizer, {
    title: 'Paid lecture',
    description: 'Notes provided.',
    startsAt: inMinutes(120),
    endsAt: inMinutes(180),
    priceCents,
  });
  expect((await joinEvent(deps, buyer, { eventId: event.id })).status).toBe('pending_payment');
  await settleAll();
  return event;
}

const releaseRun = () =>
  runMaintenance(
    { db: ctx.db, logger: deps.logger, eventLogRetentionHours: 24 },
    { task: 'release-ticket-funds' },
  );

const funds = async (actor: Actor) => {
  const wallet = await getWallet(deps, actor);
  return { balance: wallet.balanceCents, held: wallet.heldCents };
};

const refundsOf = (eventId: string) =>
  ctx.db
    .selectFrom('transfers')
    .select(['status', 'amount_cents'])
    .where('reference', '=', `event:${eventId}`)
    .where('kind', '=', 'refund')
    .execute();

const conflict = { code: 'conflict' };

describe('the end of a sold event', () => {
  it('cannot be pulled forward, so the release never frees ticket money before the real end', async () => {
    const [organizer, friend, buyer] = await Promise.all([person(0), person(0), person(1_000)]);
    const event = await soldEvent(organizer, buyer, 1_000);

    // Into the next minute, for the maintenance worker to release the money, then back.
    await expect(
      updateEventDetails(deps, organizer, event.id, { startsAt: inMinutes(0.5), endsAt: inMinutes(1) }),
    ).rejects.toMatchObject(conflict);
    await expect(
      updateEventDetails(deps, organizer, event.id, { endsAt: inMinutes(150) }),
    ).rejects.toMatchObject(conflict);
    await releaseRun();
    expect(await funds(organizer)).toEqual({ balance: 1_000, held: 1_000 });
    expect(await send(organizer, friend, 1_000)).toBe('failed');

    await cancelEvent(deps, organizer, event.id);
    await settleAll();
    expect(await refundsOf(event.id)).toEqual([{ status: 'completed', amount_cents: 1_000 }]);
    expect(await funds(buyer)).toEqual({ balance: 1_000, held: 0 });
  });

  it('can still move later (a postponement), and the money stays held until the new end', async () => {
    const [organizer, buyer] = await Promise.all([person(0), person(700)]);
    const event = await soldEvent(organizer, buyer, 700);
    const moved = await updateEventDetails(deps, organizer, event.id, {
      startsAt: inMinutes(24 * 60),
      endsAt: inMinutes(25 * 60),
      title: 'Paid lecture (postponed)',
    });
    expect(moved.title).toBe('Paid lecture (postponed)');
    // Other details change freely; so does the start within the end.
    await updateEventDetails(deps, organizer, event.id, { location: 'Room 2', startsAt: inMinutes(23 * 60) });
    await releaseRun();
    expect(await funds(organizer)).toEqual({ balance: 700, held: 700 });
  });

  it('cannot move at all once it has ended, so released money never meets new tickets', async () => {
    const [organizer, friend, buyer, late] = await Promise.all([
      person(0),
      person(0),
      person(500),
      person(500),
    ]);
    const event = await soldEvent(organizer, buyer, 500);
    await sql`update events set starts_at = now() - interval '3 hours', ends_at = now() - interval '1 hour'
      where id = ${event.id}`.execute(ctx.db);
    await releaseRun();
    expect(await funds(organizer)).toEqual({ balance: 500, held: 0 });

    // Reopening it for new buyers whose money would no longer be held: refused.
    await expect(
      updateEventDetails(deps, organizer, event.id, { startsAt: inMinutes(60), endsAt: inMinutes(120) }),
    ).rejects.toMatchObject(conflict);
    await expect(joinEvent(deps, late, { eventId: event.id })).rejects.toMatchObject(conflict);
    expect(await send(organizer, friend, 500)).toBe('completed');
    expect(await funds(late)).toEqual({ balance: 500, held: 0 });
  });

  it('moves freely while nothing was sold', async () => {
    const organizer = await person(0);
    const event = await createEvent(deps, organizer, {
      title: 'Paid lecture, unsold',
      description: 'Nobody yet.',
      startsAt: inMinutes(120),
      endsAt: inMinutes(180),
      priceCents: 300,
    });
    const endsAt = inMinutes(60);
    const moved = await updateEventDetails(deps, organizer, event.id, { startsAt: inMinutes(30), endsAt });
    expect(moved.endsAt).toBe(new Date(endsAt).toISOString());
  });
});

describe('a postponement racing the release at the end', () => {
  it('either moves the end and keeps the money held, or is refused and the money released: never both', async () => {
    const organizer = await person(0);
    const rounds = await Promise.all(
      Array.from({ length: 6 }, async (_, i) => {
        const buyer = await person(300);
        const event = await soldEvent(organizer, buyer, 300);
        // Started, ending a moment from now (staggered), by the database's clock.
        await sql`update events set starts_at = now() - interval '1 hour',
          ends_at = clock_timestamp() + make_interval(secs => ${0.6 + i * 0.15}) where id = ${event.id}`.execute(
          ctx.db,
        );
        return event;
      }),
    );
    let racing = true;
    const releases = (async () => {
      while (racing) await releaseEndedEventFunds(ctx.db);
    })();
    // Each postponement is asked around its event's end (from a little before to a little after), while the
    // release runs over and over.
    const offsetsMs = [-20, -5, 5, 20, 60, 120];
    const answers = await Promise.all(
      rounds.map(async (event, i) => {
        await waitFor(
          async () => {
            const after = (offsetsMs[i] ?? 0) / 1000;
            const { rows } = await sql<{ due: boolean }>`select clock_timestamp() - ends_at
              > make_interval(secs => ${after}) as due from events where id = ${event.id}`.execute(ctx.db);
            return rows[0]?.due;
          },
          { intervalMs: 5, what: 'the end to arrive' },
        );
        return updateEventDetails(deps, organizer, event.id, { endsAt: inMinutes(24 * 60) }).then(
          () => 'moved',
          (error: { code?: string }) => error.code,
        );
      }),
    );
    racing = false;
    await releases;
    await releaseEndedEventFunds(ctx.db);

    for (const [i, event] of rounds.entries()) {
      const row = await ctx.db
        .selectFrom('wallet_holds')
        .select('released_at')
        .where('reference', '=', `event:${event.id}`)
        .executeTakeFirstOrThrow();
      if (answers[i] === 'moved') expect(row.released_at, `event ${i} moved`).toBeNull();
      else {
        expect(answers[i]).toBe('conflict');
        expect(row.released_at, `event ${i} refused`).not.toBeNull();
      }
    }
  });
});
