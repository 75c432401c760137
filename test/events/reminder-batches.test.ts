// Reminders sent in batches (the worker's group commit): each participant once whatever the batch holds,
// stale jobs ignored without harming the rest, emails owed after a crash, and retried jobs alone.
// Real PostgreSQL and Redis; the batches are run in-process, without a worker process.
import type { Event } from '@plaza/client/protocol';
import type { Job } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  commitReminders,
  type ReminderSend,
  sendEventReminders,
} from '../../server/events/events.reminder-delivery.ts';
import type { ReminderDeps } from '../../server/events/events.reminders.ts';
import type { ReminderJob } from '../../server/jobs/queues.ts';
import { createLogger } from '../../server/lib/logger.ts';
import { createReminderHandler } from '../../workers/reminders.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { createUser, type TestUser } from '../helpers/factories.ts';
import { type Harness, inMinutes, startHarness } from './events-harness.ts';
import { reminderEmailJob, remindersSentTo } from './reminder-reads.ts';

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

async function eventWith(count: number): Promise<{ event: Event; users: TestUser[] }> {
  const event = await h.createEvent(organizer, { startsAt: inMinutes(600), endsAt: inMinutes(660) });
  const users = await Promise.all(Array.from({ length: count }, () => createUser(ctx.db)));
  for (const u of users) {
    const [status] = await h.json('PUT', `/events/${event.id}/participation`, u);
    expect(status).toBe(200);
  }
  return { event, users };
}

const jobOf = (event: Event, user: TestUser): ReminderSend => ({
  eventId: event.id,
  userId: user.id,
  startsAt: new Date(event.startsAt).toISOString(),
});

describe('reminder batches', () => {
  it('send every reminder of a batch once: a duplicate in the batch, or the batch run again, adds nothing', async () => {
    const { event, users } = await eventWith(6);
    const jobs = users.map((u) => jobOf(event, u));
    const outcomes = await sendEventReminders(deps, [...jobs, jobs[2]!]);
    expect(outcomes).toEqual(Array(7).fill('sent'));
    // A retry of the whole batch (its jobs came back as stalled after a crash) finds every guard.
    expect(await sendEventReminders(deps, jobs)).toEqual(Array(6).fill('sent'));

    const { notes, guards, pushes } = await remindersSentTo(ctx.db, event);
    expect(notes.map((n) => n.user_id).sort()).toEqual(users.map((u) => u.id).sort());
    const when = event.startsAt.replace('T', ' ').slice(0, 16);
    expect(notes[0]).toMatchObject({
      title: `Reminder: ${event.title}`,
      body: `${event.title} starts at ${when} UTC.`,
    });
    expect(guards).toHaveLength(6);
    expect(guards.every((g) => g.email_queued_at !== null)).toBe(true);
    expect(pushes).toHaveLength(6);
    for (const u of users) {
      const email = await reminderEmailJob(h.queues, event, u);
      expect(email?.data).toMatchObject({ to: u.email, subject: `Reminder: ${event.title}` });
    }
    expect(await h.queues.get('email').getJobCountByTypes('waiting')).toBeGreaterThanOrEqual(6);
  });

  it('a stale job in a batch (left, moved, cancelled) does nothing and does not stop the others', async () => {
    const { event, users } = await eventWith(4);
    const [stays, leaves, other] = users;
    const moved = await eventWith(1);
    const cancelled = await eventWith(1);
    await h.json('DELETE', `/events/${event.id}/participation`, leaves);
    const [cancelStatus] = await h.json('POST', `/events/${cancelled.event.id}/cancel`, organizer);
    expect([200, 204]).toContain(cancelStatus);
    const oldStart = jobOf(moved.event, moved.users[0]!);
    const later = new Date(Date.parse(moved.event.startsAt) + 3_600_000);
    const [patched] = await h.json('PATCH', `/events/${moved.event.id}`, organizer, {
      startsAt: later.toISOString(),
      endsAt: new Date(later.getTime() + 3_600_000).toISOString(),
    });
    expect(patched).toBe(200);

    const outcomes = await sendEventReminders(deps, [
      jobOf(event, stays!),
      jobOf(event, leaves!),
      oldStart,
      jobOf(cancelled.event, cancelled.users[0]!),
      jobOf(event, other!),
      { eventId: event.id, userId: organizer.id, startsAt: oldStart.startsAt }, // never joined
    ]);
    expect(outcomes).toEqual(['sent', 'stale', 'stale', 'stale', 'sent', 'stale']);
    expect((await remindersSentTo(ctx.db, event)).notes.map((n) => n.user_id).sort()).toEqual(
      [stays!.id, other!.id].sort(),
    );
    expect((await remindersSentTo(ctx.db, moved.event)).notes).toHaveLength(0);
    expect((await remindersSentTo(ctx.db, cancelled.event)).notes).toHaveLength(0);
  });

  it('an email left owed by a crash between the commit and the enqueue is enqueued by the retry, once', async () => {
    const { event, users } = await eventWith(2);
    const jobs = users.map((u) => jobOf(event, u));
    // The batch commits, then the worker dies before enqueueing its emails.
    const committed = await commitReminders(deps, jobs);
    expect(committed.owed).toHaveLength(2);
    expect(await reminderEmailJob(h.queues, event, users[0]!)).toBeFalsy();

    expect(await sendEventReminders(deps, jobs)).toEqual(['sent', 'sent']);
    for (const u of users) expect(await reminderEmailJob(h.queues, event, u)).toBeTruthy();
    const { notes, guards } = await remindersSentTo(ctx.db, event);
    expect(notes).toHaveLength(2);
    expect(guards.every((g) => g.email_queued_at !== null)).toBe(true);
    // Marked queued: a later duplicate owes nothing more.
    expect((await commitReminders(deps, jobs)).owed).toHaveLength(0);
  });

  it('a job that failed in a batch is retried alone, so a poisoned job cannot keep failing the others', async () => {
    const { event, users } = await eventWith(3);
    const handler = createReminderHandler(deps);
    const queue = h.queues.get('reminders');
    const poisoned: ReminderJob = {
      task: 'send',
      eventId: 'not-a-uuid',
      userId: users[0]!.id,
      startsAt: event.startsAt,
    };
    const payloads: ReminderJob[] = [
      ...users.map((u) => ({ task: 'send' as const, ...jobOf(event, u) })),
      poisoned,
    ];
    // Real BullMQ jobs, handed to the handler as the worker would: first attempts, all at once, batch together.
    const jobs = await Promise.all(
      payloads.map((p, i) => queue.add('reminders', p, { jobId: `batch-${event.id}-${i}` })),
    );
    const first = await Promise.allSettled(jobs.map((job) => handler(job.data, job as Job)));
    expect(first.every((r) => r.status === 'rejected')).toBe(true);
    expect((await remindersSentTo(ctx.db, event)).notes).toHaveLength(0);

    // Their retries (attemptsMade > 0) run alone: the poisoned one fails by itself.
    for (const job of jobs) job.attemptsMade = 1;
    const retried = await Promise.allSettled(jobs.map((job) => handler(job.data, job as Job)));
    expect(retried.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'rejected']);
    expect((await remindersSentTo(ctx.db, event)).notes).toHaveLength(3);
  });
});
