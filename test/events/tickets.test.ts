import type { Event } from '@plaza/client/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventReminderJobId, reminderJobId } from '../../server/events/events.reminders.ts';
import { Queues } from '../../server/jobs/queues.ts';
import { closeRedis, createRedis } from '../../server/lib/redis.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { bearer, createUser, type TestUser } from '../helpers/factories.ts';
import { type PlazaProcess, startServer, startWorkers, stopAll } from '../helpers/processes.ts';
import { waitFor } from '../helpers/wait.ts';
import { checkLedger } from '../wallet/ledger-checks.ts';

// Paid tickets through a real server and real workers: the settlement hook decides every seat.
let ctx: TestContext;
let server: PlazaProcess;
let workers: PlazaProcess;
let redis: ReturnType<typeof createRedis>;
let queues: Queues;
let admin: TestUser;

type Participation = { status: string | null; goingCount: number; waitlistCount: number };

beforeAll(async () => {
  ctx = await createTestContext();
  [server, workers] = await Promise.all([
    startServer(ctx.env),
    startWorkers(ctx.env, ['transfers', 'reminders', 'email']),
  ]);
  redis = createRedis(ctx.redisUrl, 'commands', 'tickets-test');
  queues = new Queues(redis, ctx.redisPrefix);
  admin = await createUser(ctx.db, { role: 'admin' });
}, 90_000);

afterAll(async () => {
  // Whatever happened above, the money adds up: balances = entries, nothing negative, each once.
  if (ctx) {
    await waitFor(
      async () =>
        (await ctx.db.selectFrom('transfers').select('id').where('status', '=', 'pending').execute())
          .length === 0,
      { timeoutMs: 20_000, what: 'every transfer settled' },
    );
    await checkLedger(ctx.db);
  }
  await stopAll([server, workers]);
  await queues?.close();
  if (redis) await closeRedis(redis);
  await ctx?.close();
});

async function api<T>(
  method: string,
  path: string,
  user: TestUser | null,
  body?: unknown,
): Promise<[number, T]> {
  const res = await fetch(`${server.url}/api/v1${path}`, {
    method,
    headers: {
      ...(user ? bearer(user) : {}),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return [res.status, (text ? JSON.parse(text) : null) as T];
}

const inMinutes = (m: number) => new Date(Date.now() + m * 60_000).toISOString();

async function paidEvent(organizer: TestUser, priceCents: number, capacity?: number): Promise<Event> {
  const [status, event] = await api<Event>('POST', '/events', organizer, {
    title: 'Paid concert',
    description: 'Tickets at the door are not a thing here.',
    startsAt: inMinutes(120),
    endsAt: inMinutes(240),
    priceCents,
    ...(capacity === undefined ? {} : { capacity }),
  });
  expect(status).toBe(201);
  return event;
}

const balanceOf = async (userId: string): Promise<number> => {
  const row = await ctx.db
    .selectFrom('wallet_accounts')
    .select('balance_cents')
    .where('user_id', '=', userId)
    .executeTakeFirst();
  return row?.balance_cents ?? 0;
};

const waitBalance = (user: TestUser, cents: number) =>
  waitFor(async () => (await balanceOf(user.id)) === cents, {
    timeoutMs: 15_000,
    what: `${user.username} to hold ${cents}`,
  });

async function funded(cents: number): Promise<TestUser> {
  const user = await createUser(ctx.db);
  const [status] = await api('POST', '/admin/mint', admin, { username: user.username, amountCents: cents });
  expect(status).toBe(202);
  await waitBalance(user, cents);
  return user;
}

const join = (event: Event, user: TestUser) =>
  api<Participation>('PUT', `/events/${event.id}/participation`, user);
const leave = (event: Event, user: TestUser) =>
  api<Participation>('DELETE', `/events/${event.id}/participation`, user);

const participation = (eventId: string, userId: string) =>
  ctx.db
    .selectFrom('event_participants')
    .select(['status', 'ticket_transfer_id'])
    .where('event_id', '=', eventId)
    .where('user_id', '=', userId)
    .executeTakeFirst();

const waitStatus = (event: Event, user: TestUser, status: string | null) =>
  waitFor(async () => ((await participation(event.id, user.id))?.status ?? null) === status, {
    timeoutMs: 15_000,
    what: `${user.username} to be ${status}`,
  });

/** The user's transfers of a kind for this event (tickets they paid, refunds they got), oldest first. */
const transfersOf = (event: Event, user: TestUser, kind: 'event_ticket' | 'refund') =>
  ctx.db
    .selectFrom('transfers')
    .select(['id', 'status', 'amount_cents', 'from_user_id', 'to_user_id'])
    .where('reference', '=', `event:${event.id}`)
    .where('kind', '=', kind)
    .where(kind === 'event_ticket' ? 'from_user_id' : 'to_user_id', '=', user.id)
    .orderBy('created_at')
    .execute();

const waitSettled = (event: Event, user: TestUser, kind: 'event_ticket' | 'refund', count: number) =>
  waitFor(
    async () => {
      const rows = await transfersOf(event, user, kind);
      return rows.length === count && rows.every((r) => r.status !== 'pending') ? rows : null;
    },
    { timeoutMs: 15_000, what: `${count} settled ${kind} of ${user.username}` },
  );

const eventRow = (id: string) =>
  ctx.db
    .selectFrom('events')
    .select(['going_count', 'waitlist_count'])
    .where('id', '=', id)
    .executeTakeFirstOrThrow();

describe('paid tickets', () => {
  it('pays, attends with a reminder, leaves and is refunded; joining again meanwhile buys nothing more', async () => {
    const organizer = await createUser(ctx.db);
    const ada = await funded(10_000);
    const event = await paidEvent(organizer, 2_500, 5);

    const replies = await Promise.all([join(event, ada), join(event, ada), join(event, ada)]);
    for (const [status, body] of replies) {
      expect(status).toBe(200);
      expect(['pending_payment', 'going']).toContain(body.status);
    }
    // The first join to take effect bought the ticket; the others answered the state they found.
    expect(replies.some(([, body]) => body.status === 'pending_payment')).toBe(true);

    await waitStatus(event, ada, 'going');
    const [ticket] = await waitSettled(event, ada, 'event_ticket', 1);
    expect(ticket).toMatchObject({ status: 'completed', amount_cents: 2_500, to_user_id: organizer.id });
    expect((await participation(event.id, ada.id))?.ticket_transfer_id).toBe(ticket!.id);
    expect(await balanceOf(ada.id)).toBe(7_500);
    expect(await balanceOf(organizer.id)).toBe(2_500);
    expect(await eventRow(event.id)).toEqual({ going_count: 1, waitlist_count: 0 });
    const [, seen] = await api<Event>('GET', `/events/${event.id}`, ada);
    expect(seen).toMatchObject({ myStatus: 'going', goingCount: 1 });
    // Going by payment gets its reminder like anyone going: from the event's job.
    const jobId = eventReminderJobId(event.id, new Date(event.startsAt));
    expect(await queues.get('reminders').getJob(jobId)).toBeTruthy();
    const ownJobId = reminderJobId(event.id, ada.id, new Date(event.startsAt));
    // Joining again once going answers going and buys nothing.
    expect((await join(event, ada))[1].status).toBe('going');
    expect(await transfersOf(event, ada, 'event_ticket')).toHaveLength(1);

    expect(await leave(event, ada)).toEqual([200, { status: null, goingCount: 0, waitlistCount: 0 }]);
    const [refund] = await waitSettled(event, ada, 'refund', 1);
    expect(refund).toMatchObject({ status: 'completed', amount_cents: 2_500, from_user_id: organizer.id });
    expect(await balanceOf(ada.id)).toBe(10_000);
    expect(await balanceOf(organizer.id)).toBe(0);
    expect(await participation(event.id, ada.id)).toBeUndefined();
    // The event's job stays (it reminds whoever is going when it runs); Ada had none of her own.
    expect(await queues.get('reminders').getJob(ownJobId)).toBeFalsy();
    // Leaving twice refunds nothing more.
    expect((await leave(event, ada))[1].status).toBeNull();
    expect(await transfersOf(event, ada, 'refund')).toHaveLength(1);
  });

  it('refuses a joiner whose wallet cannot pay, buying nothing (a payment failing later: tickets.settlement)', async () => {
    const organizer = await createUser(ctx.db);
    const broke = await funded(100);
    const event = await paidEvent(organizer, 2_500);
    const [status, body] = await api<{ error: { code: string; message: string } }>(
      'PUT',
      `/events/${event.id}/participation`,
      broke,
    );
    expect(status).toBe(409);
    expect(body.error).toMatchObject({
      code: 'conflict',
      message: expect.stringMatching(/balance is too low/),
    });
    expect(await transfersOf(event, broke, 'event_ticket')).toEqual([]);
    expect(await participation(event.id, broke.id)).toBeUndefined();
    expect(await balanceOf(broke.id)).toBe(100);
    expect(await eventRow(event.id)).toEqual({ going_count: 0, waitlist_count: 0 });
  });

  it('waitlists and refunds a payment that completes after the last seat went, and promotes it by a new ticket', async () => {
    const organizer = await createUser(ctx.db);
    const [bob, cleo] = await Promise.all([funded(5_000), funded(5_000)]);
    const event = await paidEvent(organizer, 1_000, 1);
    const replies = await Promise.all([join(event, bob), join(event, cleo)]);
    expect(replies.map(([, body]) => body.status)).toEqual(['pending_payment', 'pending_payment']);

    await waitSettled(event, bob, 'event_ticket', 1);
    await waitSettled(event, cleo, 'event_ticket', 1);
    await waitFor(async () => (await eventRow(event.id)).waitlist_count === 1, { what: 'one waitlisted' });
    const statuses = await Promise.all([participation(event.id, bob.id), participation(event.id, cleo.id)]);
    const [first, second] = statuses[0]?.status === 'going' ? [bob, cleo] : [cleo, bob];
    expect(statuses.map((s) => s?.status).sort()).toEqual(['going', 'waitlisted']);
    expect(await eventRow(event.id)).toEqual({ going_count: 1, waitlist_count: 1 });
    await waitSettled(event, second, 'refund', 1);
    await waitBalance(second, 5_000);
    expect(await balanceOf(first.id)).toBe(4_000);
    expect(await transfersOf(event, first, 'refund')).toHaveLength(0);

    // The seat frees: the waitlisted one buys a second ticket and gets it.
    await leave(event, first);
    await waitStatus(event, second, 'going');
    const tickets = await waitSettled(event, second, 'event_ticket', 2);
    expect(tickets.map((t) => t.status)).toEqual(['completed', 'completed']);
    await waitSettled(event, first, 'refund', 1);
    await waitBalance(first, 5_000);
    expect(await balanceOf(second.id)).toBe(4_000);
    expect(await balanceOf(organizer.id)).toBe(1_000);
    expect(await eventRow(event.id)).toEqual({ going_count: 1, waitlist_count: 0 });
  });

  it('refunds every ticket exactly once when the event is cancelled, a ticket still pending included', async () => {
    const organizer = await createUser(ctx.db);
    const people = await Promise.all([funded(3_000), funded(3_000), funded(3_000)]);
    const [dan, eli, fay] = people;
    const event = await paidEvent(organizer, 1_500);
    await Promise.all([join(event, dan!), join(event, eli!)]);
    await Promise.all([waitStatus(event, dan!, 'going'), waitStatus(event, eli!, 'going')]);
    // Dan leaves first (refunded then), Fay's payment races the cancellation.
    await leave(event, dan!);
    await join(event, fay!);
    const [status, cancelled] = await api<Event>('POST', `/events/${event.id}/cancel`, organizer);
    expect(status).toBe(200);
    expect(cancelled.status).toBe('cancelled');
    expect((await api('POST', `/events/${event.id}/cancel`, organizer))[0]).toBe(200);

    for (const person of people) {
      const [refund] = await waitSettled(event, person!, 'refund', 1);
      expect(refund).toMatchObject({ status: 'completed', amount_cents: 1_500 });
      await waitBalance(person!, 3_000);
    }
    expect(await balanceOf(organizer.id)).toBe(0);
    // Leaving the cancelled event asks for the refund again: the key answers the first one.
    await leave(event, eli!);
    expect(await transfersOf(event, eli!, 'refund')).toHaveLength(1);
    // Paid before the cancellation: still listed as going; after it: removed with the refund.
    expect([undefined, 'going']).toContain((await participation(event.id, fay!.id))?.status);
  });

  it('holds ticket money until the end: the organizer cannot send it away, and a leaver is refunded', async () => {
    const organizer = await createUser(ctx.db);
    const [friend, hal] = await Promise.all([createUser(ctx.db), funded(2_000)]);
    const event = await paidEvent(organizer, 2_000);
    await join(event, hal);
    await waitStatus(event, hal, 'going');
    expect(await api('GET', '/wallet', organizer)).toEqual([
      200,
      { balanceCents: 2_000, heldCents: 2_000, currency: 'EUR' },
    ]);

    const res = await fetch(`${server.url}/api/v1/transfers`, {
      method: 'POST',
      headers: {
        ...bearer(organizer),
        'content-type': 'application/json',
        'idempotency-key': 'spend-it-all',
      },
      body: JSON.stringify({ to: friend.username, amountCents: 2_000 }),
    });
    expect(res.status).toBe(202);
    const { id } = (await res.json()) as { id: string };
    await waitFor(
      async () => {
        const [, transfer] = await api<{ status: string; failureReason: string | null }>(
          'GET',
          `/transfers/${id}`,
          organizer,
        );
        return transfer.status === 'failed' && transfer.failureReason === 'insufficient_funds';
      },
      { timeoutMs: 15_000, what: 'the organizer’s transfer to fail' },
    );

    await leave(event, hal);
    const [refund] = await waitSettled(event, hal, 'refund', 1);
    expect(refund).toMatchObject({ status: 'completed', amount_cents: 2_000 });
    await waitBalance(hal, 2_000);
    expect(await api('GET', '/wallet', organizer)).toEqual([
      200,
      { balanceCents: 0, heldCents: 0, currency: 'EUR' },
    ]);
    expect(await balanceOf(friend.id)).toBe(0);
  });

  it('refuses to change the price once people have joined', async () => {
    const organizer = await createUser(ctx.db);
    const gus = await funded(1_000);
    const event = await paidEvent(organizer, 500);
    await join(event, gus);
    const [status, body] = await api<{ error: { code: string } }>('PATCH', `/events/${event.id}`, organizer, {
      priceCents: 100,
    });
    expect(status).toBe(409);
    expect(body.error.code).toBe('conflict');
  });
});
