import type { AnyPush, Event, PushEnvelope } from '@plaza/client/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { notify } from '../../server/notifications/notifications.service.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { bearer, createUser, type TestUser } from '../helpers/factories.ts';
import { connectLive, type Recorder } from '../helpers/live.ts';
import { type PlazaProcess, startServer, stopAll } from '../helpers/processes.ts';
import { waitFor } from '../helpers/wait.ts';
import { inMinutes } from './events-harness.ts';

let ctx: TestContext;
let a: PlazaProcess;
let b: PlazaProcess;
const recorders: Recorder[] = [];

beforeAll(async () => {
  ctx = await createTestContext();
  [a, b] = await Promise.all([startServer(ctx.env, 'events-a'), startServer(ctx.env, 'events-b')]);
});
afterAll(async () => {
  for (const r of recorders) r.close();
  await stopAll([a, b]);
  await ctx.close();
});

async function live(options: Parameters<typeof connectLive>[0]): Promise<Recorder> {
  // Subscribing names `me` explicitly, so ready() means the private topic is joined and synced.
  const recorder = await connectLive({ ...options, topics: options.topics ?? ['me'] });
  recorders.push(recorder);
  return recorder;
}

type State = { status: string | null; goingCount: number; waitlistCount: number };

async function request<T>(
  server: PlazaProcess,
  method: string,
  path: string,
  user: TestUser,
  body?: unknown,
) {
  const res = await fetch(`${server.url}/api/v1${path}`, {
    method,
    headers: { ...bearer(user), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as T };
}

const participationPushes = (r: Recorder) =>
  r.pushes.filter((p): p is PushEnvelope<'event:participation'> => p.type === 'event:participation');

describe('participation under concurrency, through two instances', () => {
  it('seats exactly the capacity in join order, waitlists the rest, and promotes the first waitlisted live', async () => {
    const organizer = await createUser(ctx.db);
    const created = await request<Event>(a, 'POST', '/events', organizer, {
      title: 'Concert',
      description: 'Forty seats.',
      startsAt: inMinutes(180),
      endsAt: inMinutes(240),
      capacity: 40,
    });
    expect(created.status).toBe(201);
    const eventId = created.body.id;
    const watcher = await live({ url: b.url, topics: [`event:${eventId}`] });

    const users = await Promise.all(Array.from({ length: 120 }, () => createUser(ctx.db)));
    // 100 join by REST, alternating instances; 20 by the socket command, on both instances.
    const socketJoiners = users.slice(100);
    const sockets = await Promise.all(
      socketJoiners.map((u, i) => live({ url: (i % 2 ? a : b).url, token: u.token })),
    );
    const answers = await Promise.all([
      ...users.slice(0, 100).map(async (u, i) => {
        const res = await request<State>(i % 2 ? a : b, 'PUT', `/events/${eventId}/participation`, u);
        expect(res.status).toBe(200);
        return [u.id, res.body.status] as const;
      }),
      ...sockets.map(async (s, i) => {
        const state = await s.live.command('event:join', { eventId });
        return [socketJoiners[i]!.id, state.status] as const;
      }),
    ]);
    const answered = new Map(answers);
    expect([...answered.values()].filter((s) => s === 'going')).toHaveLength(40);
    expect([...answered.values()].filter((s) => s === 'waitlisted')).toHaveLength(80);

    const rows = await ctx.db
      .selectFrom('event_participants')
      .select(['user_id', 'status', 'position'])
      .where('event_id', '=', eventId)
      .orderBy('position')
      .execute();
    expect(rows).toHaveLength(120);
    // Join order: the first 40 to take effect are going, every later one waitlisted.
    expect(rows.slice(0, 40).every((r) => r.status === 'going')).toBe(true);
    expect(rows.slice(40).every((r) => r.status === 'waitlisted')).toBe(true);
    for (const row of rows) expect(answered.get(row.user_id)).toBe(row.status);
    const event = await ctx.db
      .selectFrom('events')
      .selectAll()
      .where('id', '=', eventId)
      .executeTakeFirstOrThrow();
    expect(event).toMatchObject({ going_count: 40, waitlist_count: 80 });

    // The event page saw every join live, with counts that never passed the capacity.
    await waitFor(() => participationPushes(watcher).length >= 120, {
      timeoutMs: 20_000,
      what: '120 pushes',
    });
    const seen = participationPushes(watcher);
    expect(seen.every((p) => p.data.goingCount <= 40)).toBe(true);
    expect(seen.at(-1)?.data).toMatchObject({ goingCount: 40, waitlistCount: 80 });

    // The first going participant leaves by socket; the first waitlisted is promoted and told live.
    const leaver = users.find((u) => u.id === rows[0]!.user_id)!;
    const firstWaitlisted = users.find((u) => u.id === rows[40]!.user_id)!;
    const promotedLive = await live({ url: a.url, token: firstWaitlisted.token });
    const leaverLive = await live({ url: b.url, token: leaver.token });
    const left = await leaverLive.live.command('event:leave', { eventId });
    expect(left).toEqual({ status: null, goingCount: 40, waitlistCount: 79 });

    const note = (await waitFor(() => promotedLive.pushes.find((p) => p.type === 'notification:created'), {
      timeoutMs: 10_000,
      what: 'the promotion notification',
    })) as AnyPush & PushEnvelope<'notification:created'>;
    expect(note.data.notification.type).toBe('event_promoted');
    expect(note.data.notification.url).toBe(`/events/${eventId}`);
    await waitFor(() =>
      participationPushes(watcher).find(
        (p) => p.data.user.id === firstWaitlisted.id && p.data.status === 'going',
      ),
    );
    const promotion = participationPushes(watcher).find(
      (p) => p.data.user.id === firstWaitlisted.id && p.data.status === 'going',
    );
    expect(promotion?.data).toMatchObject({ goingCount: 40, waitlistCount: 79 });

    const promotedRow = await ctx.db
      .selectFrom('event_participants')
      .select('status')
      .where('event_id', '=', eventId)
      .where('user_id', '=', firstWaitlisted.id)
      .executeTakeFirstOrThrow();
    expect(promotedRow.status).toBe('going');
    const second = rows[41]!.user_id;
    const notes = await ctx.db
      .selectFrom('notifications')
      .select('user_id')
      .where('type', '=', 'event_promoted')
      .execute();
    expect(notes.map((n) => n.user_id)).toEqual([firstWaitlisted.id]);
    expect(notes.map((n) => n.user_id)).not.toContain(second);
  });

  it("announces events on `events`, hides a rejected event's topic from others, and reads notifications by socket", async () => {
    const organizer = await createUser(ctx.db);
    const moderator = await createUser(ctx.db, { role: 'moderator' });
    const listing = await live({ url: a.url, topics: ['events'] });
    const created = await request<Event>(b, 'POST', '/events', organizer, {
      title: 'Spam',
      description: 'Buy now.',
      startsAt: inMinutes(60),
      endsAt: inMinutes(120),
    });
    const eventId = created.body.id;
    const announced = (await waitFor(() =>
      listing.pushes.find((p) => p.type === 'event:created' && p.data.event.id === eventId),
    )) as PushEnvelope<'event:created'>;
    expect(announced.data.event).toMatchObject({ title: 'Spam', myStatus: null, status: 'published' });

    expect(
      (await request(a, 'POST', `/events/${eventId}/reject`, moderator, { reason: 'spam' })).status,
    ).toBe(200);
    const update = (await waitFor(() =>
      listing.pushes.find((p) => p.type === 'event:updated' && p.data.event.id === eventId),
    )) as PushEnvelope<'event:updated'>;
    expect(update.data.event.status).toBe('rejected');

    const stranger = await createUser(ctx.db);
    const strangerLive = await live({ url: b.url, token: stranger.token });
    await expect(
      strangerLive.live.command('subscribe', { topics: [`event:${eventId}`] }),
    ).rejects.toMatchObject({
      code: 'not_found',
    });
    const organizerLive = await live({ url: b.url, token: organizer.token });
    await expect(
      organizerLive.live.command('subscribe', { topics: [`event:${eventId}`] }),
    ).resolves.toBeTruthy();

    const note = await ctx.db
      .transaction()
      .execute((trx) =>
        notify(trx, { userId: organizer.id, type: 'follow', title: 'Hi', body: '', url: '/' }),
      );
    await expect(strangerLive.live.command('notification:read', { id: note!.id })).rejects.toMatchObject({
      code: 'not_found',
    });
    await expect(organizerLive.live.command('notification:read', { id: note!.id })).resolves.toBeNull();
    const row = await ctx.db
      .selectFrom('notifications')
      .select('read_at')
      .where('id', '=', note!.id)
      .executeTakeFirstOrThrow();
    expect(row.read_at).not.toBeNull();
  });
});
