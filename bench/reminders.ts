// Reminders: event reminders delivered per second by the real reminders worker, batched per event (one
// job per event: every going participant's guard row, notification + unread counter + push, then the
// emails enqueued in bulk and marked queued). Baseline: bare BullMQ, no-op processor, same concurrency,
// in jobs/s: a reminder should cost less than an empty job. Each round enqueues its events' jobs while
// the queue is paused, resumes it, and times until they are done. Then an event with 10,000 going is
// moved a few times through the API (PATCH): the request time is printed (one job removed, one added).
import { randomUUID } from 'node:crypto';
import { type JobsOptions, Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { sql } from 'kysely';
import { eventReminderJobId } from '../server/events/events.reminders.ts';
import type { ReminderJob } from '../server/jobs/queues.ts';
import { defaultJobOptions, Queues } from '../server/jobs/queues.ts';
import { REMINDERS_CONCURRENCY } from '../workers/reminders.ts';
import { CpuMeter } from './harness/cpu.ts';
import { createUsers } from './harness/fixtures.ts';
import { type BenchDatabase, createBenchDatabase, dropBenchDatabase } from './harness/infra.ts';
import { size } from './harness/options.ts';
import {
  type BenchProcess,
  startBaseline,
  startPlazaServer,
  startPlazaWorkers,
} from './harness/processes.ts';
import { type ArmRound, progress, type ScenarioResult, summarize } from './harness/report.ts';
import { alternate, type Scenario, type ScenarioContext, sleep } from './harness/scenario.ts';
import { Histogram } from './harness/stats.ts';

const TARGET = 'reminders/s ≥ 1.0 (vs bare jobs/s)';
// The reminders worker's own concurrency (workers/main.ts uses it): both arms run as many jobs at once.
const CONCURRENCY = REMINDERS_CONCURRENCY;
const CHUNK = 1_000;

interface BulkJob {
  name: string;
  data: ReminderJob;
  opts: JobsOptions;
}

interface Drained {
  seconds: number;
  left: number;
  failed: number;
  used: { server: number; database: number | null };
}

/** Enqueues `jobs` on the paused queue, resumes it, and waits until they are done or time is up. */
async function drain(
  queue: Queue,
  jobs: BulkJob[],
  worker: BenchProcess,
  database: string | undefined,
  limitMs: number,
): Promise<Drained> {
  await queue.pause();
  const counts = async () => {
    const c = await queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'failed');
    return { left: c.waiting! + c.active! + c.delayed! + c.prioritized!, failed: c.failed! };
  };
  // A few jobs (the app's): their own states, since the reconciler's repeating job comes and goes in the
  // counts. Many (the baseline's, alone in their queue): the counts.
  const ids = jobs.length <= 100 ? jobs.map((j) => j.opts.jobId!) : null;
  const failedBefore = (await counts()).failed;
  const remaining = async () => {
    const c = await counts();
    if (!ids) return c;
    const states = await Promise.all(ids.map((id) => queue.getJobState(id)));
    return {
      left: states.filter((s) => s !== 'completed' && s !== 'failed').length,
      failed: states.filter((s) => s === 'failed').length + failedBefore,
    };
  };
  for (let i = 0; i < jobs.length; i += CHUNK) await queue.addBulk(jobs.slice(i, i + CHUNK));
  const cpu = new CpuMeter(() => [worker.pid], database);
  cpu.start();
  const t0 = performance.now();
  await queue.resume();
  let state = await remaining();
  while (state.left > 0 && performance.now() - t0 < limitMs) {
    await sleep(20);
    state = await remaining();
  }
  const seconds = (performance.now() - t0) / 1000;
  const used = cpu.stop();
  if (state.left > 0) {
    // Time is up: drop the rest so it cannot run into the other arm's round.
    await queue.pause();
    await queue.obliterate({ force: true });
  }
  return { seconds, left: state.left, failed: state.failed - failedBefore, used };
}

/** `count` users without sessions (the reminders need only their rows), in one statement. */
async function insertUsers(database: BenchDatabase, count: number): Promise<string[]> {
  const { rows } = await sql<{ id: string }>`
    insert into users (id, email, username, display_name, email_verified_at)
    select gen_random_uuid(), 'remind' || n || '@bench.test', 'remind_' || n, 'Reminded ' || n, now()
    from generate_series(1, ${count}) as n
    returning id`.execute(database.db);
  return rows.map((r) => r.id).sort();
}

/**
 * `events` published events two days ahead, each with its own `perEvent` users going (people going to
 * twenty events at once are rare). Returns the events' reminder jobs.
 */
async function seedEvents(
  database: BenchDatabase,
  organizer: string,
  userIds: string[],
  label: string,
  events: number,
  perEvent: number,
): Promise<BulkJob[]> {
  const { rows } = await sql<{ id: string; starts_at: Date; n: number }>`
    insert into events (id, organizer_id, title, description, location, starts_at, ends_at, going_count)
    select gen_random_uuid(), ${organizer}::uuid, ${label} || ' e' || n, 'Seeded for the bench', 'Room ' || n,
      date_trunc('second', now()) + interval '2 days', date_trunc('second', now()) + interval '2 days 2 hours',
      ${perEvent}::int
    from generate_series(0, ${events - 1}) as n
    returning id, starts_at, (substring(title from ' e(\\d+)$'))::int as n`.execute(database.db);
  for (const event of rows) {
    await sql`
      insert into event_participants (event_id, user_id, status)
      select ${event.id}::uuid, u, 'going'
      from unnest(${userIds.slice(event.n * perEvent, (event.n + 1) * perEvent)}::uuid[]) as u`.execute(
      database.db,
    );
  }
  await sql`analyze event_participants`.execute(database.db);
  return rows.map(
    (e): BulkJob => ({
      name: 'reminders',
      data: { task: 'send-event', eventId: e.id, startsAt: e.starts_at.toISOString() },
      opts: { jobId: eventReminderJobId(e.id, e.starts_at) },
    }),
  );
}

/** One app round: the events' jobs drained; reminders counted in the database, checked complete. */
async function measureApp(
  database: BenchDatabase,
  queues: Queues,
  jobs: BulkJob[],
  expected: number,
  worker: BenchProcess,
  limitMs: number,
): Promise<ArmRound> {
  const drained = await drain(
    queues.get('reminders') as unknown as Queue,
    jobs,
    worker,
    database.name,
    limitMs,
  );
  const eventIds = jobs.map((j) => (j.data as { eventId: string }).eventId);
  const { rows } = await sql<{ reminded: number; queued: number; notified: number; pushed: number }>`
    select
      (select count(*) from event_reminders where event_id = any(${eventIds}::uuid[]))::int as reminded,
      (select count(*) from event_reminders
        where event_id = any(${eventIds}::uuid[]) and email_queued_at is not null)::int as queued,
      (select count(*) from notifications
        where type = 'event_reminder' and url = any(${eventIds.map((id) => `/events/${id}`)}))::int as notified,
      (select count(*) from event_log where type = 'notification:created'
        and data->'notification'->>'url' = any(${eventIds.map((id) => `/events/${id}`)}))::int as pushed`.execute(
    database.db,
  );
  const c = rows[0]!;
  if (drained.left === 0 && (drained.failed > 0 || c.queued !== expected)) {
    throw new Error(`reminders incomplete: ${c.queued}/${expected} delivered, ${drained.failed} jobs failed`);
  }
  if (c.notified !== c.reminded || c.pushed !== c.reminded) {
    throw new Error(`${c.reminded} reminders but ${c.notified} notifications and ${c.pushed} pushes`);
  }
  const emails = queues.get('email') as unknown as Queue;
  const enqueued = await emails.getJobCountByTypes('waiting', 'delayed', 'prioritized');
  if (enqueued < c.queued) throw new Error(`${c.queued} emails marked queued, ${enqueued} in the queue`);
  // No email worker runs: drop them so that Redis does not grow round after round.
  await emails.obliterate({ force: true });
  return {
    value: c.queued / drained.seconds,
    cpuPerOp: c.queued > 0 ? drained.used.server / c.queued : null,
    dbCpuPerOp: c.queued > 0 && drained.used.database !== null ? drained.used.database / c.queued : null,
    extra: { reminders: c.queued, jobs: jobs.length, failed: drained.failed, seconds: drained.seconds },
  };
}

async function measureBaseline(
  queue: Queue,
  jobs: BulkJob[],
  worker: BenchProcess,
  limitMs: number,
): Promise<ArmRound> {
  const drained = await drain(queue, jobs, worker, undefined, limitMs);
  const processed = jobs.length - drained.left;
  return {
    value: processed / drained.seconds,
    cpuPerOp: processed > 0 ? drained.used.server / processed : null,
    extra: { processed, failed: drained.failed },
  };
}

/**
 * Moves an event with `going` participants `moves` times through the API and times each PATCH. After
 * each, the event has exactly one reminder job: the new start's.
 */
async function measureMoves(
  database: BenchDatabase,
  queues: Queues,
  userIds: string[],
  going: number,
  moves: number,
): Promise<{ p50: number | null; p99: number | null; max: number | null }> {
  const [organizer] = await createUsers(database.db, 1);
  const server = await startPlazaServer(database.env, 'app-server-moves');
  try {
    const api = (method: string, path: string, body: unknown) =>
      fetch(`${server.url}/api/v1${path}`, {
        method,
        headers: { 'content-type': 'application/json', authorization: `Bearer ${organizer!.token}` },
        body: JSON.stringify(body),
      });
    const startsAt = new Date(Date.now() + 2 * 86_400_000);
    startsAt.setUTCMilliseconds(0);
    const created = await api('POST', '/events', {
      title: 'Moved around',
      description: 'Seeded for the bench',
      startsAt: startsAt.toISOString(),
      endsAt: new Date(startsAt.getTime() + 3_600_000).toISOString(),
    });
    if (created.status !== 201) throw new Error(`create event: ${created.status} ${await created.text()}`);
    const event = (await created.json()) as { id: string };
    await sql`
      insert into event_participants (event_id, user_id, status)
      select ${event.id}::uuid, u, 'going' from unnest(${userIds.slice(0, going)}::uuid[]) as u`.execute(
      database.db,
    );
    await sql`update events set going_count = ${going} where id = ${event.id}`.execute(database.db);
    const reminders = queues.get('reminders');
    await queues.add(
      'reminders',
      { task: 'send-event', eventId: event.id, startsAt: startsAt.toISOString() },
      { jobId: eventReminderJobId(event.id, startsAt), delay: 86_400_000 },
    );
    // A fresh server's first requests pay for its warm-up (connections, compiling): one edit that moves
    // nothing, untimed.
    const warm = await api('PATCH', `/events/${event.id}`, { title: 'Moved around (warm)' });
    if (warm.status !== 200) throw new Error(`edit: ${warm.status} ${await warm.text()}`);
    const latency = new Histogram(60_000);
    let before = startsAt;
    for (let i = 1; i <= moves; i++) {
      const to = new Date(startsAt.getTime() + i * 3_600_000);
      const t0 = performance.now();
      const res = await api('PATCH', `/events/${event.id}`, {
        startsAt: to.toISOString(),
        endsAt: new Date(to.getTime() + 3_600_000).toISOString(),
      });
      await res.arrayBuffer();
      latency.add(performance.now() - t0);
      if (res.status !== 200) throw new Error(`move: ${res.status}`);
      const [old, now] = await Promise.all([
        reminders.getJob(eventReminderJobId(event.id, before)),
        reminders.getJob(eventReminderJobId(event.id, to)),
      ]);
      if (old || !now)
        throw new Error(
          `after move ${i}: old job ${old ? 'kept' : 'gone'}, new ${now ? 'there' : 'missing'}`,
        );
      before = to;
    }
    const pending = await reminders.getJobs(['delayed', 'waiting']);
    const forEvent = pending.filter((j) => j.data.task !== 'reconcile' && j.data.eventId === event.id);
    if (forEvent.length !== 1) throw new Error(`${forEvent.length} reminder jobs for the moved event, not 1`);
    return { p50: latency.percentile(50), p99: latency.percentile(99), max: latency.percentile(100) };
  } finally {
    await server.stop();
  }
}

async function run(ctx: ScenarioContext): Promise<ScenarioResult[]> {
  const { options, run } = ctx;
  const eventsPerRound = size(options, 20, 4);
  const perEvent = size(options, 2_000, 50);
  const movedGoing = size(options, 10_000, 200);
  const moves = size(options, 10, 3);
  const baselineJobs = size(options, 40_000, 1_000);
  const limitMs = size(options, 20_000, 5_000);
  const database = await createBenchDatabase(run, 'reminders');
  const processes: BenchProcess[] = [];
  const redis = new Redis(run.redisUrl, { maxRetriesPerRequest: null });
  const queues = new Queues(redis, database.redisPrefix);
  const baseQueue = new Queue('noop', {
    connection: redis,
    prefix: `${database.redisPrefix}:baseline`,
    defaultJobOptions,
  });
  try {
    progress('reminders: users, events and workers');
    const userIds = await insertUsers(database, Math.max(eventsPerRound * perEvent, movedGoing));
    const [organizer] = await createUsers(database.db, 1);
    const appJobs: BulkJob[][] = [];
    for (let r = 0; r < options.rounds; r++)
      appJobs.push(
        await seedEvents(database, organizer!.id, userIds, `bench r${r}`, eventsPerRound, perEvent),
      );
    const [workers, baseWorker] = await Promise.all([
      startPlazaWorkers(database.env, ['reminders']),
      startBaseline('base-bullmq', 'bench/baselines/bullmq.worker.ts', {
        REDIS_URL: run.redisUrl,
        BENCH_QUEUE: 'noop',
        BENCH_PREFIX: `${database.redisPrefix}:baseline`,
        BENCH_CONCURRENCY: String(CONCURRENCY),
      }),
    ]);
    processes.push(workers, baseWorker);
    const baselinePayload = (): BulkJob => {
      const eventId = randomUUID();
      const startsAt = new Date(Date.now() + 2 * 86_400_000);
      return {
        name: 'noop',
        data: { task: 'send-event', eventId, startsAt: startsAt.toISOString() },
        opts: { jobId: eventReminderJobId(eventId, startsAt) },
      };
    };
    const rounds = await alternate(
      'reminders',
      options.rounds,
      (i) => measureApp(database, queues, appJobs[i]!, eventsPerRound * perEvent, workers, limitMs),
      () =>
        measureBaseline(
          baseQueue,
          Array.from({ length: baselineJobs }, baselinePayload),
          baseWorker,
          limitMs,
        ),
    );
    progress(`reminders: moving an event with ${movedGoing.toLocaleString('en-US')} going`);
    const move = await measureMoves(database, queues, userIds, movedGoing, moves);
    return [
      summarize('reminders', 'reminders/s', TARGET, rounds, {
        concurrency: CONCURRENCY,
        events: eventsPerRound,
        goingPerEvent: perEvent,
        baselineBacklog: baselineJobs,
        [`move${movedGoing}P50Ms`]: move.p50 === null ? null : Math.round(move.p50),
        [`move${movedGoing}P99Ms`]: move.p99 === null ? null : Math.round(move.p99),
        moves,
      }),
    ];
  } finally {
    await Promise.all(processes.map((p) => p.stop()));
    await queues.close();
    await baseQueue.close();
    redis.disconnect();
    await dropBenchDatabase(run, database);
  }
}

export const reminders: Scenario = { name: 'reminders', run };
