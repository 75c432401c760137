import type { Event } from '@plaza/client/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestTransfer } from '../../server/wallet/wallet.service.ts';
import { SettlementHooks, settleTransfers } from '../../server/wallet/wallet.settlement.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { bearer, createUser, type TestUser } from '../helpers/factories.ts';
import { testMediaUrls } from '../helpers/fixtures.ts';
import { createInProcessApp, type InProcessApp } from '../helpers/in-process-app.ts';
import { checkLedger } from '../wallet/ledger-checks.ts';

// Joining, leaving and creating events are writes with per-user limits, a paid join is a transfer (it
// counts against TRANSFERS_PER_MINUTE) and is refused up front when the wallet cannot pay: a join/leave
// loop on a paid event no longer leaves a failed transfer (and its log, notification and settlement work)
// behind each time. Through the real routes, in process; nothing is settled unless a test says so.
let ctx: TestContext;
const apps: InProcessApp[] = [];

beforeAll(async () => {
  ctx = await createTestContext();
});

afterAll(async () => {
  const pending = await ctx.db.selectFrom('transfers').select('id').where('status', '=', 'pending').execute();
  await settle(pending.map((t) => t.id));
  await checkLedger(ctx.db);
  for (const app of apps) await app.close();
  await ctx.close();
});

const settle = (ids: string[]) =>
  settleTransfers({ db: ctx.db, currency: 'EUR', hooks: new SettlementHooks(), urls: testMediaUrls }, ids);

function appWith(env: Record<string, string>) {
  const app = createInProcessApp(ctx, {}, env);
  apps.push(app);
  const call = async <T>(method: string, path: string, user: TestUser, body?: unknown, key?: string) => {
    const res = await app.app.request(`/api/v1${path}`, {
      method,
      headers: {
        ...bearer(user),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(key ? { 'idempotency-key': key } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, retryAfter: res.headers.get('retry-after'), body: (await res.json()) as T };
  };
  return call;
}

type Call = ReturnType<typeof appWith>;
type ErrorBody = { error: { code: string; message: string } };
type State = { status: string | null };

async function person(cents: number): Promise<TestUser> {
  const user = await createUser(ctx.db);
  if (cents > 0) {
    const { transfer } = await ctx.db
      .transaction()
      .execute((trx) =>
        requestTransfer(
          trx,
          { kind: 'mint', fromUserId: null, toUserId: user.id, amountCents: cents },
          testMediaUrls,
        ),
      );
    await settle([transfer.id]);
  }
  return user;
}

const inMinutes = (m: number) => new Date(Date.now() + m * 60_000).toISOString();

async function newEvent(call: Call, organizer: TestUser, priceCents = 0): Promise<Event> {
  const res = await call<Event>('POST', '/events', organizer, {
    title: 'Quiz night',
    description: 'Teams of four.',
    startsAt: inMinutes(120),
    endsAt: inMinutes(180),
    priceCents,
  });
  expect(res.status).toBe(201);
  return res.body;
}

const ticketsOf = (userId: string) =>
  ctx.db
    .selectFrom('transfers')
    .select(['id', 'status'])
    .where('from_user_id', '=', userId)
    .where('kind', '=', 'event_ticket')
    .execute();

const participationsOf = (userId: string) =>
  ctx.db
    .selectFrom('event_participants')
    .select(['event_id', 'status'])
    .where('user_id', '=', userId)
    .execute();

describe('paid joins the wallet cannot pay', () => {
  it('are refused up front with 409, leaving no ticket, participation or push behind', async () => {
    const call = appWith({});
    const [organizer, broke] = await Promise.all([person(0), person(400)]);
    const event = await newEvent(call, organizer, 500);
    const logBefore = await ctx.db.selectFrom('event_log').select('seq').execute();

    for (let i = 0; i < 3; i++) {
      const join = await call<ErrorBody>('PUT', `/events/${event.id}/participation`, broke);
      expect(join.status).toBe(409);
      expect(join.body.error.code).toBe('conflict');
      expect(join.body.error.message).toMatch(/balance is too low/i);
      expect((await call<State>('DELETE', `/events/${event.id}/participation`, broke)).status).toBe(200);
    }
    expect(await ticketsOf(broke.id)).toEqual([]);
    expect(await participationsOf(broke.id)).toEqual([]);
    expect(await ctx.db.selectFrom('event_log').select('seq').execute()).toHaveLength(logBefore.length);
  });

  it('count held and already promised money as gone: only what is spendable pays', async () => {
    const call = appWith({});
    const [organizer, friend, ada] = await Promise.all([person(0), person(0), person(1_000)]);
    const event = await newEvent(call, organizer, 600);
    // 500 promised to a friend (pending): 500 left, not enough.
    expect(
      (await call('POST', '/transfers', ada, { to: friend.username, amountCents: 500 }, 'gift')).status,
    ).toBe(202);
    expect((await call('PUT', `/events/${event.id}/participation`, ada)).status).toBe(409);
    const cheaper = await newEvent(call, organizer, 500);
    expect((await call<State>('PUT', `/events/${cheaper.id}/participation`, ada)).body.status).toBe(
      'pending_payment',
    );
  });

  it('racing each other, buy only as many tickets as the money covers', async () => {
    const call = appWith({});
    const [organizer, cam] = await Promise.all([person(0), person(1_000)]);
    const events = await Promise.all(Array.from({ length: 5 }, () => newEvent(call, organizer, 1_000)));
    const replies = await Promise.all(
      events.map((e) => call<State | ErrorBody>('PUT', `/events/${e.id}/participation`, cam)),
    );
    expect(replies.map((r) => r.status).sort()).toEqual([200, 409, 409, 409, 409]);
    expect(await ticketsOf(cam.id)).toHaveLength(1);
    expect(await participationsOf(cam.id)).toEqual([
      { event_id: expect.any(String), status: 'pending_payment' },
    ]);
  });
});

describe('per-user limits on events', () => {
  it('refuse joins and leaves past EVENT_JOINS_PER_MINUTE with 429 and Retry-After', async () => {
    const call = appWith({ EVENT_JOINS_PER_MINUTE: '3' });
    const [organizer, dee, eve] = await Promise.all([person(0), person(0), person(0)]);
    const event = await newEvent(call, organizer);
    const path = `/events/${event.id}/participation`;
    expect((await call('PUT', path, dee)).status).toBe(200);
    expect((await call('DELETE', path, dee)).status).toBe(200);
    expect((await call('PUT', path, dee)).status).toBe(200);
    const refused = await call<ErrorBody>('DELETE', path, dee);
    expect(refused.status).toBe(429);
    expect(refused.body.error.code).toBe('rate_limited');
    expect(Number(refused.retryAfter)).toBeGreaterThan(0);
    expect((await call<ErrorBody>('PUT', path, dee)).status).toBe(429);
    expect(await participationsOf(dee.id)).toEqual([{ event_id: event.id, status: 'going' }]);
    // Per user: someone else still joins.
    expect((await call('PUT', path, eve)).status).toBe(200);
  });

  it('let exactly EVENT_JOINS_PER_MINUTE through when the joins race each other', async () => {
    const call = appWith({ EVENT_JOINS_PER_MINUTE: '3' });
    const [organizer, ivy] = await Promise.all([person(0), person(0)]);
    const events = await Promise.all(Array.from({ length: 6 }, () => newEvent(call, organizer)));
    const replies = await Promise.all(events.map((e) => call('PUT', `/events/${e.id}/participation`, ivy)));
    expect(replies.map((r) => r.status).sort()).toEqual([200, 200, 200, 429, 429, 429]);
    expect(await participationsOf(ivy.id)).toHaveLength(3);
  });

  it('count paid joins against TRANSFERS_PER_MINUTE, with POST /transfers', async () => {
    const call = appWith({ TRANSFERS_PER_MINUTE: '2' });
    const [organizer, friend, fay] = await Promise.all([person(0), person(0), person(5_000)]);
    const [paid, free] = await Promise.all([newEvent(call, organizer, 100), newEvent(call, organizer)]);
    expect((await call<State>('PUT', `/events/${paid.id}/participation`, fay)).body.status).toBe(
      'pending_payment',
    );
    expect(
      (await call('POST', '/transfers', fay, { to: friend.username, amountCents: 1 }, 'one')).status,
    ).toBe(202);
    const refused = await call<ErrorBody>(
      'POST',
      '/transfers',
      fay,
      { to: friend.username, amountCents: 1 },
      'two',
    );
    expect(refused.status).toBe(429);
    const other = await newEvent(call, organizer, 100);
    expect((await call<ErrorBody>('PUT', `/events/${other.id}/participation`, fay)).status).toBe(429);
    expect(await ticketsOf(fay.id)).toHaveLength(1);
    // A free event costs no transfer.
    expect((await call<State>('PUT', `/events/${free.id}/participation`, fay)).body.status).toBe('going');
  });

  it('refuse event creation past EVENTS_PER_HOUR', async () => {
    const call = appWith({ EVENTS_PER_HOUR: '2' });
    const gus = await person(0);
    await newEvent(call, gus);
    await newEvent(call, gus);
    const refused = await call<ErrorBody>('POST', '/events', gus, {
      title: 'One too many',
      description: 'Refused.',
      startsAt: inMinutes(120),
      endsAt: inMinutes(180),
    });
    expect(refused.status).toBe(429);
    expect(refused.body.error.code).toBe('rate_limited');
    expect(Number(refused.retryAfter)).toBeGreaterThan(0);
    const created = await ctx.db
      .selectFrom('events')
      .select('id')
      .where('organizer_id', '=', gus.id)
      .execute();
    expect(created).toHaveLength(2);
  });
});
