import { LiveCommandError } from '@plaza/client';
import type { Event } from '@plaza/client/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { bearer, createUser, type TestUser } from '../helpers/factories.ts';
import { connectLive, type Recorder } from '../helpers/live.ts';
import { type PlazaProcess, startServer, stopAll } from '../helpers/processes.ts';
import { inMinutes } from './events-harness.ts';

// The socket commands event:join / event:leave run the same service as REST: the same join limit and
// the same refusal of a paid join the wallet cannot pay. A real server process, as sockets need one.
let ctx: TestContext;
let server: PlazaProcess;
const open: Recorder[] = [];

beforeAll(async () => {
  ctx = await createTestContext();
  server = await startServer({ ...ctx.env, EVENT_JOINS_PER_MINUTE: '3' }, 'event-limits');
});

afterAll(async () => {
  for (const r of open) r.close();
  await stopAll([server]);
  await ctx.close();
});

async function live(user: TestUser): Promise<Recorder> {
  const recorder = await connectLive({ url: server.url, token: user.token, topics: ['me'] });
  open.push(recorder);
  return recorder;
}

async function newEvent(organizer: TestUser, priceCents: number): Promise<Event> {
  const res = await fetch(`${server.url}/api/v1/events`, {
    method: 'POST',
    headers: { ...bearer(organizer), 'content-type': 'application/json' },
    body: JSON.stringify({
      title: 'Open mic',
      description: 'Five minutes each.',
      startsAt: inMinutes(120),
      endsAt: inMinutes(180),
      priceCents,
    }),
  });
  expect(res.status).toBe(201);
  return (await res.json()) as Event;
}

async function refusal(promise: Promise<unknown>): Promise<LiveCommandError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  if (!(error instanceof LiveCommandError))
    throw new Error(`expected a refused command, got ${String(error)}`);
  return error;
}

describe('event commands over the socket', () => {
  it('refuse a paid join the wallet cannot pay, then joins and leaves past the limit', async () => {
    const [organizer, hal] = await Promise.all([createUser(ctx.db), createUser(ctx.db)]);
    const [paid, free] = await Promise.all([newEvent(organizer, 900), newEvent(organizer, 0)]);
    const socket = await live(hal);

    const broke = await refusal(socket.live.command('event:join', { eventId: paid.id }));
    expect(broke.code).toBe('conflict');
    expect(broke.message).toMatch(/balance is too low/i);
    expect(await socket.live.command('event:join', { eventId: free.id })).toMatchObject({ status: 'going' });
    expect(await socket.live.command('event:leave', { eventId: free.id })).toMatchObject({ status: null });

    const limited = await refusal(socket.live.command('event:join', { eventId: free.id }));
    expect(limited.code).toBe('rate_limited');
    expect(limited.error.details?.retryAfterMs).toBeGreaterThan(0);
    const tickets = await ctx.db
      .selectFrom('transfers')
      .select('id')
      .where('from_user_id', '=', hal.id)
      .execute();
    expect(tickets).toEqual([]);
    const rows = await ctx.db
      .selectFrom('event_participants')
      .select('event_id')
      .where('user_id', '=', hal.id)
      .execute();
    expect(rows).toEqual([]);
  });
});
