// An event's reminder job (one per event and start, not one per participant): everyone going reminded once,
// chunk by chunk; a retry after a crash between a chunk's commit and its emails adds nothing but the
// emails; a moved or cancelled event's old job does nothing; the event's job and participants' own jobs at
// once still remind each once; the unread counters stay exact. Real PostgreSQL and Redis, run in-process.
import type { Event } from '@plaza/client/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendEventReminders } from '../../server/events/events.reminder-delivery.ts';
import { sendRemindersOfEvent } from '../../server/events/events.reminder-fanout.ts';
import { eventReminderJobId, type ReminderDeps } from '../../server/events/events.reminders.ts';
import type { Queues } from '../../server/jobs/queues.ts';
import { createLogger } from '../../server/lib/logger.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { createUser, type TestUser } from '../helpers/factories.ts';
import { type Harness, inMinutes, startHarness } from './events-harness.ts';
import { inexactCounters, reminderEmailJob, remindersSentTo } from './reminder-reads.ts';

let ctx: TestContext;
let h: Harness;
let deps: ReminderDeps;
let organizer: TestUser;

beforeAll(async () => {
  ctx = await createTestContext();
  h = startHarness(ctx);
  deps = { db: ctx.db, queues: h.queues, logger: createLogger('silent', 'test'), config: h.config };
  organizer = await createUser(ctx.db);
});
afterAll(async () => {
  await h.close();
  await ctx.close();
});

const jobOf = (event: Event) => ({ eventId: event.id, startsAt: new Date(event.startsAt).toISOString() });

/** An event `going` people joined through the API (`joined` of them) or straight in the database (the rest). */
async function eventWith(going: number, joined = 0): Promise<{ event: Event; users: TestUser[] }> {
  const event = await h.createEvent(organizer, { startsAt: inMinutes(600), endsAt: inMinutes(660) });
  const users = await Promise.all(Array.from({ length: going }, () => createUser(ctx.db)));
  for (const u of users.slice(0, joined)) {
    const [status] = await h.json('PUT', `/events/${event.id}/participation`, u);
    expect(status).toBe(200);
  }
  const rest = users.slice(joined);
  if (rest.length > 0) {
    await ctx.db
      .insertInto('event_participants')
      .values(rest.map((u) => ({ event_id: event.id, user_id: u.id, status: 'going' as const })))
      .execute();
    await ctx.db.updateTable('events').set({ going_count: going }).where('id', '=', event.id).execute();
  }
  return { event, users };
}

/** The reminders queue's jobs for one event (ids and tasks). */
async function jobsFor(event: Event) {
  const jobs = await h.queues.get('reminders').getJobs(['delayed', 'waiting', 'active', 'prioritized']);
  return jobs
    .filter((j) => j.data.task !== 'reconcile' && j.data.eventId === event.id)
    .map((j) => ({ id: j.id, task: j.data.task }));
}

describe("an event's reminder job", () => {
  it('is one job for everyone going, reminds each once in chunks, and a second run adds nothing', async () => {
    const { event, users } = await eventWith(40, 3);
    // Someone waiting for a seat is not reminded; the counters keep what was unread before.
    const waiting = await createUser(ctx.db);
    await ctx.db
      .insertInto('event_participants')
      .values({ event_id: event.id, user_id: waiting.id, status: 'waitlisted' })
      .execute();
    await ctx.db.updateTable('events').set({ waitlist_count: 1 }).where('id', '=', event.id).execute();
    expect(await jobsFor(event)).toEqual([
      { id: eventReminderJobId(event.id, new Date(event.startsAt)), task: 'send-event' },
    ]);

    expect(await sendRemindersOfEvent(deps, jobOf(event), 7)).toEqual({ outcome: 'sent', sent: 40 });
    const { notes, guards, pushes } = await remindersSentTo(ctx.db, event);
    expect(notes.map((n) => n.user_id).sort()).toEqual(users.map((u) => u.id).sort());
    const when = event.startsAt.replace('T', ' ').slice(0, 16);
    expect(notes[0]).toMatchObject({
      title: `Reminder: ${event.title}`,
      body: `${event.title} starts at ${when} UTC.`,
    });
    expect(guards).toHaveLength(40);
    expect(guards.every((g) => g.email_queued_at !== null)).toBe(true);
    expect(pushes).toHaveLength(40);
    // Each push goes to its own user, with their unread count as of that notification (1: their first).
    for (const push of pushes) {
      const data = push.data as { unreadCount: number };
      expect(push.rooms).toHaveLength(1);
      expect(data.unreadCount).toBe(1);
    }
    for (const u of users) {
      const email = await reminderEmailJob(h.queues, event, u);
      expect(email?.data).toMatchObject({ to: u.email, subject: `Reminder: ${event.title}` });
    }
    expect(await reminderEmailJob(h.queues, event, waiting)).toBeFalsy();
    expect(
      await inexactCounters(
        ctx.db,
        [...users, waiting].map((u) => u.id),
      ),
    ).toEqual([]);

    // Run again (a duplicate, or BullMQ retrying after a crash past the last commit): nothing more.
    expect(await sendRemindersOfEvent(deps, jobOf(event), 7)).toEqual({ outcome: 'sent', sent: 0 });
    const again = await remindersSentTo(ctx.db, event);
    expect(again.notes).toHaveLength(40);
    expect(again.pushes).toHaveLength(40);
    expect(
      await inexactCounters(
        ctx.db,
        users.map((u) => u.id),
      ),
    ).toEqual([]);
  });

  it("a retry after a crash between a chunk's commit and its emails notifies nobody twice, enqueues each email once", async () => {
    const { event, users } = await eventWith(20);
    // The email queue fails: the first chunk has committed, its emails are owed.
    const broken = Object.create(h.queues) as Queues;
    broken.get = ((name: Parameters<Queues['get']>[0]) =>
      name === 'email'
        ? {
            addBulk: () => Promise.reject(new Error('Redis went away')),
          }
        : h.queues.get(name)) as Queues['get'];
    await expect(sendRemindersOfEvent({ ...deps, queues: broken }, jobOf(event), 5)).rejects.toThrow(
      'Redis went away',
    );
    const crashed = await remindersSentTo(ctx.db, event);
    expect(crashed.notes).toHaveLength(5);
    expect(crashed.guards.every((g) => g.email_queued_at === null)).toBe(true);

    // BullMQ's retry: the first chunk's emails, then the other chunks.
    expect(await sendRemindersOfEvent(deps, jobOf(event), 5)).toEqual({ outcome: 'sent', sent: 15 });
    const { notes, guards, pushes } = await remindersSentTo(ctx.db, event);
    expect(notes).toHaveLength(20);
    expect(pushes).toHaveLength(20);
    expect(guards.every((g) => g.email_queued_at !== null)).toBe(true);
    for (const u of users) expect(await reminderEmailJob(h.queues, event, u)).toBeTruthy();
    expect(
      await inexactCounters(
        ctx.db,
        users.map((u) => u.id),
      ),
    ).toEqual([]);
  });

  it('moving the event replaces its one job, however many are going; the old job and a cancelled one do nothing', async () => {
    const { event, users } = await eventWith(300, 1);
    const oldJob = jobOf(event);
    const later = new Date(Date.parse(event.startsAt) + 3_600_000);
    const [status] = await h.json('PATCH', `/events/${event.id}`, organizer, {
      startsAt: later.toISOString(),
      endsAt: new Date(later.getTime() + 3_600_000).toISOString(),
    });
    expect(status).toBe(200);
    expect(await jobsFor(event)).toEqual([{ id: eventReminderJobId(event.id, later), task: 'send-event' }]);

    expect(await sendRemindersOfEvent(deps, oldJob)).toEqual({ outcome: 'stale', sent: 0 });
    expect((await remindersSentTo(ctx.db, event)).notes).toHaveLength(0);

    const [cancelled] = await h.json('POST', `/events/${event.id}/cancel`, organizer);
    expect(cancelled).toBe(200);
    expect(await jobsFor(event)).toEqual([]);
    const newJob = { eventId: event.id, startsAt: later.toISOString() };
    expect(await sendRemindersOfEvent(deps, newJob)).toEqual({ outcome: 'stale', sent: 0 });
    expect((await remindersSentTo(ctx.db, event)).notes).toHaveLength(0);
    expect(
      await inexactCounters(
        ctx.db,
        users.slice(0, 20).map((u) => u.id),
      ),
    ).toEqual([]);
  });

  it('skips a deleted account still listed as going (its participations are being removed)', async () => {
    const { event, users } = await eventWith(3);
    const [kept, deleted] = users;
    await ctx.db.updateTable('users').set({ deleted_at: new Date() }).where('id', '=', deleted!.id).execute();
    expect(await sendRemindersOfEvent(deps, jobOf(event))).toEqual({ outcome: 'sent', sent: 2 });
    const { notes, guards } = await remindersSentTo(ctx.db, event);
    expect(notes.map((n) => n.user_id)).not.toContain(deleted!.id);
    expect(guards.map((g) => g.user_id)).not.toContain(deleted!.id);
    expect(await reminderEmailJob(h.queues, event, deleted!)).toBeFalsy();
    expect(await reminderEmailJob(h.queues, event, kept!)).toBeTruthy();
  });

  it("the event's job and participants' own jobs running at once remind each participant once", async () => {
    const { event, users } = await eventWith(30);
    const own = users.map((u) => ({
      eventId: event.id,
      userId: u.id,
      startsAt: new Date(event.startsAt).toISOString(),
    }));
    const [fanout, batch] = await Promise.all([
      sendRemindersOfEvent(deps, jobOf(event), 4),
      sendEventReminders(deps, own.slice(0, 15)),
      sendEventReminders(deps, own.slice(15).reverse()),
    ]);
    expect(fanout.outcome).toBe('sent');
    expect(batch).toEqual(Array(15).fill('sent'));
    const { notes, guards, pushes } = await remindersSentTo(ctx.db, event);
    expect(notes.map((n) => n.user_id).sort()).toEqual(users.map((u) => u.id).sort());
    expect(guards).toHaveLength(30);
    expect(pushes).toHaveLength(30);
    expect(
      await inexactCounters(
        ctx.db,
        users.map((u) => u.id),
      ),
    ).toEqual([]);
  });
});
