import type { Event, NotificationType, Page } from '@plaza/client/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Deps } from '../../server/deps.ts';
import { eventReminderJobId, reminderJobId } from '../../server/events/events.reminders.ts';
import { eventRoutes } from '../../server/events/events.routes.ts';
import { notificationRoutes } from '../../server/notifications/notifications.routes.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { createUser, type TestUser } from '../helpers/factories.ts';
import { type ErrorReply, type Harness, inMinutes, startHarness } from './events-harness.ts';

let ctx: TestContext;
let h: Harness;
let organizer: TestUser;
let moderator: TestUser;

beforeAll(async () => {
  ctx = await createTestContext();
  h = startHarness(ctx);
  organizer = await createUser(ctx.db);
  moderator = await createUser(ctx.db, { role: 'moderator' });
});
afterAll(async () => {
  await h.close();
  await ctx.close();
});

type State = { status: string | null; goingCount: number; waitlistCount: number };

const eventRow = (id: string) =>
  ctx.db.selectFrom('events').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
const notificationsOf = (userId: string, type: NotificationType) =>
  ctx.db
    .selectFrom('notifications')
    .selectAll()
    .where('user_id', '=', userId)
    .where('type', '=', type)
    .execute();

describe('creating events', () => {
  it('creates a free event and announces it on the `events` topic', async () => {
    const event = await h.createEvent(organizer, { capacity: 10, location: 'Library' });
    expect(event).toMatchObject({
      organizer: { id: organizer.id, username: organizer.username },
      capacity: 10,
      priceCents: 0,
      status: 'published',
      goingCount: 0,
      waitlistCount: 0,
      myStatus: null,
      location: 'Library',
    });
    const pushed = await ctx.db
      .selectFrom('event_log')
      .select(['type', 'rooms', 'data'])
      .where('type', '=', 'event:created')
      .execute();
    expect(pushed.map((p) => (p.data as { event: Event }).event.id)).toContain(event.id);
    expect(pushed[0]!.rooms).toEqual(['events']);
  });

  it.each([
    ['end before start', { startsAt: inMinutes(120), endsAt: inMinutes(60) }, 'endsAt'],
    ['start in the past', { startsAt: inMinutes(-5), endsAt: inMinutes(60) }, 'startsAt'],
    ['capacity 0', { capacity: 0 }, 'capacity'],
    ['negative price', { priceCents: -1 }, 'priceCents'],
    ['empty title', { title: '   ' }, 'title'],
    ['title over 120 characters', { title: 'x'.repeat(121) }, 'title'],
    ['a start that is not a time', { startsAt: 'tomorrow' }, 'startsAt'],
  ])('refuses %s with validation_failed naming the field', async (_name, fields, path) => {
    const [status, body] = await h.json<ErrorReply>('POST', '/events', organizer, {
      title: 'T',
      description: 'D',
      startsAt: inMinutes(60),
      endsAt: inMinutes(120),
      ...fields,
    });
    expect(status).toBe(400);
    expect(body.error.code).toBe('validation_failed');
    expect((body.error.details!.issues as Array<{ path: string }>).map((i) => i.path)).toContain(path);
  });

  it('creates paid events, their price shown to everyone', async () => {
    const [status, event] = await h.json<Event>('POST', '/events', organizer, {
      title: 'Paid',
      description: 'D',
      startsAt: inMinutes(60),
      endsAt: inMinutes(120),
      priceCents: 500,
    });
    expect(status).toBe(201);
    expect(event.priceCents).toBe(500);
    const [, seen] = await h.json<Event>('GET', `/events/${event.id}`, null);
    expect(seen.priceCents).toBe(500);
  });

  it('refuses anonymous creation with 401', async () => {
    const [status, body] = await h.json<ErrorReply>('POST', '/events', null, { title: 'x' });
    expect(status).toBe(401);
    expect(body.error.code).toBe('unauthenticated');
  });
});

describe('listing and moderation', () => {
  it('lists upcoming published events soonest first, in keyset pages, without rejected or cancelled ones', async () => {
    const lister = await createUser(ctx.db);
    const later = await h.createEvent(lister, { startsAt: inMinutes(3000), endsAt: inMinutes(3100) });
    const sooner = await h.createEvent(lister, { startsAt: inMinutes(2900), endsAt: inMinutes(3100) });
    const rejected = await h.createEvent(lister, { startsAt: inMinutes(2950), endsAt: inMinutes(3100) });
    const cancelled = await h.createEvent(lister, { startsAt: inMinutes(2960), endsAt: inMinutes(3100) });

    const [status, rejectedEvent] = await h.json<Event>('POST', `/events/${rejected.id}/reject`, moderator, {
      reason: 'spam',
    });
    expect(status).toBe(200);
    expect(rejectedEvent.status).toBe('rejected');
    expect((await eventRow(rejected.id)).reject_reason).toBe('spam');
    expect((await h.json('POST', `/events/${cancelled.id}/cancel`, lister))[0]).toBe(200);

    const seen: Event[] = [];
    let cursor: string | null = null;
    do {
      const [, page]: [number, Page<Event>] = await h.json<Page<Event>>(
        'GET',
        `/events?limit=2${cursor ? `&cursor=${cursor}` : ''}`,
      );
      seen.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor);
    const mine = seen.filter((e) => e.organizer.id === lister.id).map((e) => e.id);
    expect(mine).toEqual([sooner.id, later.id]);
    const starts = seen.map((e) => e.startsAt);
    expect([...starts].sort()).toEqual(starts);

    // The page of a rejected event still answers its organizer and moderators, nobody else.
    expect((await h.json('GET', `/events/${rejected.id}`, lister))[0]).toBe(200);
    expect((await h.json('GET', `/events/${rejected.id}`, moderator))[0]).toBe(200);
    expect((await h.json('GET', `/events/${rejected.id}`, organizer))[0]).toBe(404);
    expect((await h.json('GET', `/events/${rejected.id}`, null))[0]).toBe(404);
  });

  it('lets only moderators reject (403 for members, the organizer included)', async () => {
    const event = await h.createEvent(organizer);
    const [status, body] = await h.json<ErrorReply>('POST', `/events/${event.id}/reject`, organizer, {
      reason: 'x',
    });
    expect(status).toBe(403);
    expect(body.error.code).toBe('forbidden');
    expect((await eventRow(event.id)).status).toBe('published');
  });
});

describe('editing', () => {
  it('lets only the organizer edit: others get 403 and nothing changes', async () => {
    const event = await h.createEvent(organizer);
    const other = await createUser(ctx.db);
    const [status, body] = await h.json<ErrorReply>('PATCH', `/events/${event.id}`, other, {
      title: 'Mine now',
    });
    expect(status).toBe(403);
    expect(body.error.code).toBe('forbidden');
    expect((await h.json('PATCH', `/events/${event.id}`, moderator, { title: 'Mod' }))[0]).toBe(403);
    expect((await eventRow(event.id)).title).toBe(event.title);

    const [ok, edited] = await h.json<Event>('PATCH', `/events/${event.id}`, organizer, { title: 'Renamed' });
    expect(ok).toBe(200);
    expect(edited.title).toBe('Renamed');
    expect(edited.description).toBe(event.description);
    expect((await eventRow(event.id)).title).toBe('Renamed');
  });

  it('checks the merged schedule: an end before the existing start is refused', async () => {
    const event = await h.createEvent(organizer);
    const [status, body] = await h.json<ErrorReply>('PATCH', `/events/${event.id}`, organizer, {
      endsAt: inMinutes(30),
    });
    expect(status).toBe(400);
    expect(body.error.code).toBe('validation_failed');
    const [empty] = await h.json<ErrorReply>('PATCH', `/events/${event.id}`, organizer, {});
    expect(empty).toBe(400);
  });

  it('raising the capacity promotes the waitlist in join order', async () => {
    const event = await h.createEvent(organizer, { capacity: 1 });
    const [a, b, c] = await Promise.all([createUser(ctx.db), createUser(ctx.db), createUser(ctx.db)]);
    for (const u of [a!, b!, c!]) await h.json('PUT', `/events/${event.id}/participation`, u);
    const [, edited] = await h.json<Event>('PATCH', `/events/${event.id}`, organizer, { capacity: 2 });
    expect(edited).toMatchObject({ goingCount: 2, waitlistCount: 1 });
    const [, page] = await h.json<Page<{ user: { id: string }; status: string }>>(
      'GET',
      `/events/${event.id}/participants`,
    );
    expect(page.items.map((p) => [p.user.id, p.status])).toEqual([
      [a!.id, 'going'],
      [b!.id, 'going'],
      [c!.id, 'waitlisted'],
    ]);
    expect(await notificationsOf(b!.id, 'event_promoted')).toHaveLength(1);
    const [conflict] = await h.json('PATCH', `/events/${event.id}`, organizer, { capacity: 1 });
    expect(conflict).toBe(409);
  });
});

describe('participation', () => {
  it('is idempotent, waitlists past capacity and promotes the first waitlisted when a seat frees up', async () => {
    const event = await h.createEvent(organizer, { capacity: 1 });
    const [a, b, c] = await Promise.all([createUser(ctx.db), createUser(ctx.db), createUser(ctx.db)]);
    const join = async (u: TestUser) =>
      (await h.json<State>('PUT', `/events/${event.id}/participation`, u))[1];
    expect(await join(a!)).toEqual({ status: 'going', goingCount: 1, waitlistCount: 0 });
    expect(await join(a!)).toEqual({ status: 'going', goingCount: 1, waitlistCount: 0 });
    expect(await join(b!)).toEqual({ status: 'waitlisted', goingCount: 1, waitlistCount: 1 });
    expect(await join(c!)).toEqual({ status: 'waitlisted', goingCount: 1, waitlistCount: 2 });

    const [, left] = await h.json<State>('DELETE', `/events/${event.id}/participation`, a);
    expect(left).toEqual({ status: null, goingCount: 1, waitlistCount: 1 });
    const [, again] = await h.json<State>('DELETE', `/events/${event.id}/participation`, a);
    expect(again).toEqual({ status: null, goingCount: 1, waitlistCount: 1 });

    const [, seenByB] = await h.json<Event>('GET', `/events/${event.id}`, b);
    expect(seenByB.myStatus).toBe('going');
    expect(await notificationsOf(b!.id, 'event_promoted')).toHaveLength(1);
    expect(await notificationsOf(c!.id, 'event_promoted')).toHaveLength(0);
    expect(await eventRow(event.id)).toMatchObject({ going_count: 1, waitlist_count: 1 });

    // One reminder job for the event, whoever is going when it runs (B, promoted); nobody has one of their
    // own (that is for joining once the event's job may have run).
    const queue = h.queues.get('reminders');
    const startsAt = new Date(event.startsAt);
    expect(await queue.getJob(eventReminderJobId(event.id, startsAt))).toBeTruthy();
    expect(await queue.getJob(reminderJobId(event.id, b!.id, startsAt))).toBeFalsy();
    expect(await queue.getJob(reminderJobId(event.id, a!.id, startsAt))).toBeFalsy();
  });

  it('refuses joining a cancelled event with 409, and an unknown one with 404', async () => {
    const event = await h.createEvent(organizer);
    await h.json('POST', `/events/${event.id}/cancel`, organizer);
    const joiner = await createUser(ctx.db);
    const [status, body] = await h.json<ErrorReply>('PUT', `/events/${event.id}/participation`, joiner);
    expect(status).toBe(409);
    expect(body.error.code).toBe('conflict');
    const [missing] = await h.json(
      'PUT',
      '/events/0190a000-0000-7000-8000-000000000000/participation',
      joiner,
    );
    expect(missing).toBe(404);
    const [bad, badBody] = await h.json<ErrorReply>('PUT', '/events/not-a-uuid/participation', joiner);
    expect(bad).toBe(400);
    expect(badBody.error.code).toBe('validation_failed');
  });
});

describe('cancelling', () => {
  it('notifies every participant once, pushes event:cancelled, and removes the reminders', async () => {
    const event = await h.createEvent(organizer, { capacity: 1 });
    const going = await createUser(ctx.db);
    const waiting = await createUser(ctx.db);
    await h.json('PUT', `/events/${event.id}/participation`, going);
    await h.json('PUT', `/events/${event.id}/participation`, waiting);
    const queue = h.queues.get('reminders');
    const jobId = eventReminderJobId(event.id, new Date(event.startsAt));
    expect(await queue.getJob(jobId)).toBeTruthy();

    const stranger = await createUser(ctx.db);
    expect((await h.json('POST', `/events/${event.id}/cancel`, stranger))[0]).toBe(403);

    const [status, cancelled] = await h.json<Event>('POST', `/events/${event.id}/cancel`, moderator);
    expect(status).toBe(200);
    expect(cancelled.status).toBe('cancelled');
    const [againStatus] = await h.json<Event>('POST', `/events/${event.id}/cancel`, organizer);
    expect(againStatus).toBe(200);

    expect(await notificationsOf(going.id, 'event_cancelled')).toHaveLength(1);
    expect(await notificationsOf(waiting.id, 'event_cancelled')).toHaveLength(1);
    expect(await queue.getJob(jobId)).toBeFalsy();
    const pushes = await ctx.db
      .selectFrom('event_log')
      .select(['rooms', 'data'])
      .where('type', '=', 'event:cancelled')
      .execute();
    const mine = pushes.find((p) => (p.data as { event: Event }).event.id === event.id);
    expect(mine?.rooms).toEqual(['events', `event:${event.id}`]);
    expect((mine!.data as { event: Event }).event.myStatus).toBeNull();
  });
});

describe('the OpenAPI document', () => {
  it('documents every event and notification route with its errors', () => {
    const info = { openapi: '3.1.0', info: { title: 'Plaza', version: '1' } };
    // Building the routers reads nothing from deps; only the handlers do.
    const events = eventRoutes({} as Deps).getOpenAPI31Document(info);
    const notifications = notificationRoutes({} as Deps).getOpenAPI31Document(info);
    expect(Object.keys(events.paths ?? {}).sort()).toEqual([
      '/events',
      '/events/{id}',
      '/events/{id}/cancel',
      '/events/{id}/participants',
      '/events/{id}/participation',
      '/events/{id}/reject',
    ]);
    expect(events.paths?.['/events/{id}']?.patch?.responses?.['403']).toBeTruthy();
    expect(Object.keys(notifications.paths ?? {}).sort()).toEqual([
      '/notifications',
      '/notifications/read-all',
      '/notifications/{id}/read',
    ]);
  });
});
