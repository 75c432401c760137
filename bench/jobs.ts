// Jobs: event reminders processed per second by the real workers (lookup under lock, exactly-once guard,
// notification + push, email enqueued; group-committed). Baseline: bare BullMQ, no-op processor, same concurrency.
// Each round enqueues a backlog while the queue is paused, resumes it, and counts what drains in time.
import { randomUUID } from 'node:crypto';
import { type JobsOptions, Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { sql } from 'kysely';
import { reminderJobId } from '../server/events/events.reminders.ts';
import type { ReminderJob } from '../server/jobs/queues.ts';
import { defaultJobOptions, Queues } from '../server/jobs/queues.ts';
import { REMINDERS_CONCURRENCY } from '../workers/reminders.ts';
import { CpuMeter } from './harness/cpu.ts';
import { createUsers } from './harness/fixtures.ts';
import { type BenchDatabase, createBenchDatabase, dropBenchDatabase } from './harness/infra.ts';
import { size } from './harness/options.ts';
import { type BenchProcess, startBaseline, startPlazaWorkers } from './harness/processes.ts';
import { type ArmRound, progress, type ScenarioResult, summarize } from './harness/report.ts';
import { alternate, type Scenario, type ScenarioContext, sleep } from './harness/scenario.ts';

const TARGET = 'jobs/s ≥ 0.8';
// The reminders worker's own concurrency (workers/main.ts uses it): both arms run as many jobs at once.
const CONCURRENCY = REMINDERS_CONCURRENCY;
const CHUNK = 1_000;

interface BulkJob {
  name: string;
  data: ReminderJob;
  opts: JobsOptions;
}

async function measure(
  queue: Queue,
  jobs: BulkJob[],
  worker: BenchProcess,
  database: string | undefined,
  limitMs: number,
): Promise<ArmRound> {
  await queue.pause();
  for (let i = 0; i < jobs.length; i += CHUNK) await queue.addBulk(jobs.slice(i, i + CHUNK));
  const remaining = async () => {
    const c = await queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'failed');
    return { left: c.waiting! + c.active! + c.delayed! + c.prioritized!, failed: c.failed! };
  };
  const failedBefore = (await remaining()).failed;
  const cpu = new CpuMeter(() => [worker.pid], database);
  cpu.start();
  const t0 = performance.now();
  await queue.resume();
  let state = await remaining();
  while (state.left > 0 && performance.now() - t0 < limitMs) {
    await sleep(50);
    state = await remaining();
  }
  const seconds = (performance.now() - t0) / 1000;
  const used = cpu.stop();
  const processed = jobs.length - state.left;
  if (state.left > 0) {
    // Time is up: drop the rest so it cannot run into the other arm's round.
    await queue.pause();
    await queue.obliterate({ force: true });
  }
  return {
    value: processed / seconds,
    cpuPerOp: processed > 0 ? used.server / processed : null,
    ...(database
      ? { dbCpuPerOp: processed > 0 && used.database !== null ? used.database / processed : null }
      : {}),
    extra: { processed, failed: state.failed - failedBefore },
  };
}

/** One round's reminders: `events` fresh published events two days ahead, every user going to each. */
async function seedReminders(database: BenchDatabase, userIds: string[], round: number, events: number) {
  const organizer = userIds[0]!;
  await sql`
    insert into events (id, organizer_id, title, description, starts_at, ends_at, going_count)
    select gen_random_uuid(), ${organizer}::uuid, 'bench r' || ${round}::int || ' e' || n, 'Seeded for the bench',
      date_trunc('second', now()) + interval '2 days', date_trunc('second', now()) + interval '2 days 2 hours',
      ${userIds.length}::int
    from generate_series(1, ${events}) as n`.execute(database.db);
  await sql`
    insert into event_participants (event_id, user_id, status)
    select e.id, u.id, 'going' from events e cross join users u
    where e.title like ${`bench r${round} e%`}`.execute(database.db);
  const { rows } = await sql<{ event_id: string; user_id: string; starts_at: Date }>`
    select p.event_id, p.user_id, e.starts_at from event_participants p join events e on e.id = p.event_id
    where e.title like ${`bench r${round} e%`}`.execute(database.db);
  return rows.map(
    (r): BulkJob => ({
      name: 'reminders',
      data: { task: 'send', eventId: r.event_id, userId: r.user_id, startsAt: r.starts_at.toISOString() },
      opts: { jobId: reminderJobId(r.event_id, r.user_id, r.starts_at) },
    }),
  );
}

async function run(ctx: ScenarioContext): Promise<ScenarioResult[]> {
  const { options, run } = ctx;
  const users = size(options, 100, 10);
  const eventsPerRound = size(options, 60, 10);
  const baselineJobs = size(options, 40_000, 1_000);
  const limitMs = size(options, 6_000, 3_000);
  const database = await createBenchDatabase(run, 'jobs');
  const processes: BenchProcess[] = [];
  const redis = new Redis(run.redisUrl, { maxRetriesPerRequest: null });
  const queues = new Queues(redis, database.redisPrefix);
  const baseQueue = new Queue('noop', {
    connection: redis,
    prefix: `${database.redisPrefix}:baseline`,
    defaultJobOptions,
  });
  try {
    progress('jobs: users, events and workers');
    const userIds = (await createUsers(database.db, users)).map((u) => u.id);
    const appJobs: BulkJob[][] = [];
    for (let r = 0; r < options.rounds; r++)
      appJobs.push(await seedReminders(database, userIds, r, eventsPerRound));
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
    const appQueue = queues.get('reminders') as unknown as Queue;
    const baselinePayload = (): BulkJob => {
      const [eventId, userId] = [randomUUID(), randomUUID()];
      const startsAt = new Date(Date.now() + 2 * 86_400_000);
      return {
        name: 'noop',
        data: { task: 'send', eventId, userId, startsAt: startsAt.toISOString() },
        opts: { jobId: reminderJobId(eventId, userId, startsAt) },
      };
    };
    const rounds = await alternate(
      'jobs',
      options.rounds,
      (i) => measure(appQueue, appJobs[i]!, workers, database.name, limitMs),
      () =>
        measure(
          baseQueue,
          Array.from({ length: baselineJobs }, baselinePayload),
          baseWorker,
          undefined,
          limitMs,
        ),
    );
    const sent = await sql<{ n: number }>`select count(*)::int as n from event_reminders`.execute(
      database.db,
    );
    return [
      summarize('jobs', 'jobs/s', TARGET, rounds, {
        concurrency: CONCURRENCY,
        appBacklog: appJobs[0]?.length ?? 0,
        baselineBacklog: baselineJobs,
        remindersSent: sent.rows[0]?.n ?? 0,
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

export const jobs: Scenario = { name: 'jobs', run };
