import type { Event } from '@plaza/client/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  eventReminderJobId,
  reconcileReminders,
  reminderJobId,
} from '../../server/events/events.reminders.ts';
import { createLogger } from '../../server/lib/logger.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { createUser, type TestUser } from '../helpers/factories.ts';
import { type PlazaProcess, startWorkers, stopAll } from '../helpers/processes.ts';
import { type SmtpSink, startSmtpSink } from '../helpers/smtp-sink.ts';
import { sleep, waitFor } from '../helpers/wait.ts';
import { type Harness, startHarness } from './events-harness.ts';

// A one-minute lead and events starting a few seconds past it: reminders fall due within seconds.
let ctx: TestContext;
let h: Harness;
let sink: SmtpSink;
let workers: PlazaProcess;
let organizer: TestUser;

const workerEnv = () => ({ ...ctx.env, SMTP_URL: sink.url });

beforeAll(async () => {
  ctx = await createTestContext({ REMINDER_LEAD_MINUTES: '1' });
  h = startHarness(ctx);
  sink = await startSmtpSink();
  workers = await startWorkers(workerEnv(), ['reminders', 'email']);
  organizer = await createUser(ctx.db);
});
afterAll(async () => {
  await stopAll([workers]);
  await sink.close();
  await h.close();
  await ctx.close();
});

const secondsAhead = (s: number) => new Date(Date.now() + s * 1000).toISOString();

const reminders = async (eventId: string) =>
  ctx.db
    .selectFrom('notifications')
    .select(['user_id', 'url'])
    .where('type', '=', 'event_reminder')
    .where('url', '=', `/events/${eventId}`)
    .execute();

const countOf = (rows: Array<{ user_id: string }>, userId: string) =>
  rows.filter((r) => r.user_id === userId).length;
const emailsTo = (user: TestUser, title: string) =>
  sink.messages.filter((m) => m.to.includes(user.email.toLowerCase()) && m.subject === `Reminder: ${title}`)
    .length;

async function eventStartingIn(seconds: number, title: string): Promise<Event> {
  return h.createEvent(organizer, {
    title,
    startsAt: secondsAhead(seconds),
    endsAt: secondsAhead(seconds + 3600),
  });
}

const join = (event: Event, user: TestUser) => h.json('PUT', `/events/${event.id}/participation`, user);

describe('event reminders', () => {
  it('reach each going participant once, by notification and email, from one job per event; moving the start moves it', async () => {
    // Due in ~12 s: joining happens well before the event's job runs.
    const event = await eventStartingIn(72, 'Reminder party');
    const moved = await eventStartingIn(72, 'Moved party');
    const [a, b, leaver, mover] = await Promise.all([1, 2, 3, 4].map(() => createUser(ctx.db)));
    for (const u of [a!, b!, leaver!]) await join(event, u);
    await join(moved, mover!);
    const queue = h.queues.get('reminders');
    const startsAt = new Date(event.startsAt);

    const eventJob = await queue.getJob(eventReminderJobId(event.id, startsAt));
    expect(eventJob?.data).toEqual({
      task: 'send-event',
      eventId: event.id,
      startsAt: startsAt.toISOString(),
    });
    expect(eventJob?.opts.delay).toBeGreaterThan(0);
    expect(eventJob?.opts.delay).toBeLessThanOrEqual(12_000);
    // Nobody has a job of their own: the event's reminds everyone.
    expect(await queue.getJob(reminderJobId(event.id, a!.id, startsAt))).toBeFalsy();

    await h.json('DELETE', `/events/${event.id}/participation`, leaver);

    const later = new Date(Date.now() + 3 * 3600_000);
    const [patched] = await h.json('PATCH', `/events/${moved.id}`, organizer, {
      startsAt: later.toISOString(),
      endsAt: new Date(later.getTime() + 3600_000).toISOString(),
    });
    expect(patched).toBe(200);
    expect(await queue.getJob(eventReminderJobId(moved.id, new Date(moved.startsAt)))).toBeFalsy();
    const movedJob = await queue.getJob(eventReminderJobId(moved.id, later));
    expect(movedJob?.opts.delay).toBeGreaterThan(3 * 3600_000 - 60_000 - 10_000);
    expect(movedJob?.opts.delay).toBeLessThanOrEqual(3 * 3600_000 - 60_000);

    await sink.waitForMessage(a!.email, (m) => m.subject === 'Reminder: Reminder party', 30_000);
    await sink.waitForMessage(b!.email, (m) => m.subject === 'Reminder: Reminder party', 30_000);
    await sleep(1_500);
    const sent = await reminders(event.id);
    expect(countOf(sent, a!.id)).toBe(1);
    expect(countOf(sent, b!.id)).toBe(1);
    expect(countOf(sent, leaver!.id)).toBe(0);
    expect(emailsTo(a!, 'Reminder party')).toBe(1);
    expect(emailsTo(b!, 'Reminder party')).toBe(1);
    expect(emailsTo(leaver!, 'Reminder party')).toBe(0);
    // The moved event's old due time has passed too: nothing was sent for it.
    expect(await reminders(moved.id)).toHaveLength(0);
    expect(emailsTo(mover!, 'Moved party')).toBe(0);
    const guards = await ctx.db
      .selectFrom('event_reminders')
      .selectAll()
      .where('event_id', '=', event.id)
      .execute();
    expect(guards.map((g) => g.user_id).sort()).toEqual([a!.id, b!.id].sort());
    expect(guards.every((g) => g.email_queued_at !== null)).toBe(true);
  });

  it('sends no duplicate when the worker is killed mid-way and restarted, nor for a duplicated job', async () => {
    // Two waves: the worker dies as the first one goes out; the second falls due while it is restarting.
    const first = await eventStartingIn(68, 'Crash party');
    const second = await eventStartingIn(74, 'After party');
    const users = await Promise.all(Array.from({ length: 6 }, () => createUser(ctx.db)));
    for (const u of users) {
      await join(first, u);
      await join(second, u);
    }

    await waitFor(async () => (await reminders(first.id)).length > 0, { timeoutMs: 30_000, intervalMs: 10 });
    await workers.kill();
    expect(await reminders(second.id)).toHaveLength(0);
    workers = await startWorkers(workerEnv(), ['reminders', 'email']);

    for (const u of users) {
      await sink.waitForMessage(u.email, (m) => m.subject === 'Reminder: Crash party', 30_000);
      await sink.waitForMessage(u.email, (m) => m.subject === 'Reminder: After party', 30_000);
    }
    // A retried or duplicated job (another id, same reminder) finds the guard in the database.
    const queue = h.queues.get('reminders');
    const duplicateId = (u: TestUser) => `duplicate_${first.id}_${u.id}`;
    for (const u of users) {
      await h.queues.add(
        'reminders',
        { task: 'send', eventId: first.id, userId: u.id, startsAt: new Date(first.startsAt).toISOString() },
        { jobId: duplicateId(u) },
      );
    }
    // And the event's job run again under another id.
    const duplicateEventJob = `duplicate_${first.id}`;
    await h.queues.add(
      'reminders',
      { task: 'send-event', eventId: first.id, startsAt: new Date(first.startsAt).toISOString() },
      { jobId: duplicateEventJob },
    );
    await waitFor(
      async () => {
        const jobs = await Promise.all([
          ...users.map((u) => queue.getJob(duplicateId(u))),
          queue.getJob(duplicateEventJob),
        ]);
        const done = await Promise.all(jobs.map((j) => j?.isCompleted()));
        return done.every(Boolean);
      },
      { timeoutMs: 15_000, what: 'the duplicate jobs' },
    );
    await sleep(1_000);
    const [sentFirst, sentSecond] = await Promise.all([reminders(first.id), reminders(second.id)]);
    for (const u of users) {
      expect(countOf(sentFirst, u.id)).toBe(1);
      expect(countOf(sentSecond, u.id)).toBe(1);
      expect(emailsTo(u, 'Crash party')).toBe(1);
      expect(emailsTo(u, 'After party')).toBe(1);
    }
  });

  it("someone going after the event's job ran gets a job of their own; one whose job was lost, the reconciler's catch-up", async () => {
    const event = await eventStartingIn(66, 'Late party');
    const [early, late, lost] = await Promise.all([1, 2, 3].map(() => createUser(ctx.db)));
    await join(event, early!);
    const queue = h.queues.get('reminders');
    const startsAt = new Date(event.startsAt);
    const eventJobId = eventReminderJobId(event.id, startsAt);
    await waitFor(async () => (await queue.getJob(eventJobId))?.isCompleted(), {
      timeoutMs: 30_000,
      intervalMs: 50,
      what: "the event's job",
    });
    expect(countOf(await reminders(event.id), early!.id)).toBe(1);

    // The event's job has run: joining now schedules a job of the joiner's own, due at once.
    await join(event, late!);
    expect((await queue.getJob(reminderJobId(event.id, late!.id, startsAt)))?.data).toMatchObject({
      task: 'send',
      userId: late!.id,
    });
    await sink.waitForMessage(late!.email, (m) => m.subject === 'Reminder: Late party', 20_000);

    // Going, but the job after the commit was lost (the process died): the reconciler finds the event's
    // job has run and adds a catch-up run of it.
    await ctx.db
      .insertInto('event_participants')
      .values({ event_id: event.id, user_id: lost!.id, status: 'going' })
      .execute();
    await ctx.db
      .updateTable('events')
      .set((eb) => ({ going_count: eb('going_count', '+', 1) }))
      .where('id', '=', event.id)
      .execute();
    const deps = { db: ctx.db, queues: h.queues, logger: createLogger('silent', 'test'), config: h.config };
    expect(await reconcileReminders(deps)).toBeGreaterThanOrEqual(1);
    const catchUp = (await queue.getJobs(['delayed', 'waiting', 'active', 'completed'])).filter((j) =>
      j.id?.startsWith(`${eventJobId}_catchup_`),
    );
    expect(catchUp).toHaveLength(1);
    await sink.waitForMessage(lost!.email, (m) => m.subject === 'Reminder: Late party', 20_000);

    await sleep(1_500);
    const sent = await reminders(event.id);
    for (const u of [early!, late!, lost!]) {
      expect(countOf(sent, u.id)).toBe(1);
      expect(emailsTo(u, 'Late party')).toBe(1);
    }
  });

  it('reconciliation schedules an event job lost between commit and enqueue, once', async () => {
    const event = await h.createEvent(organizer, { title: 'Reconciled' });
    const user = await createUser(ctx.db);
    await join(event, user);
    const queue = h.queues.get('reminders');
    const jobId = eventReminderJobId(event.id, new Date(event.startsAt));
    await queue.remove(jobId);
    expect(await queue.getJob(jobId)).toBeFalsy();

    const deps = { db: ctx.db, queues: h.queues, logger: createLogger('silent', 'test'), config: h.config };
    expect(await reconcileReminders(deps)).toBeGreaterThanOrEqual(1);
    const job = await queue.getJob(jobId);
    expect(job?.data).toEqual({
      task: 'send-event',
      eventId: event.id,
      startsAt: new Date(event.startsAt).toISOString(),
    });
    // A second run finds it scheduled and adds nothing for it.
    await reconcileReminders(deps);
    const forEvent = (await queue.getJobs(['delayed', 'waiting'])).filter(
      (j) => j.data.task !== 'reconcile' && j.data.eventId === event.id,
    );
    expect(forEvent.map((j) => j.id)).toEqual([jobId]);
  });
});
