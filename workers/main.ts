// `npm run workers [-- names…]`: BullMQ workers in their own process, apart from the web stack.
import { type Job, Worker, type WorkerOptions } from 'bullmq';
import { loadConfigOrExit } from '../server/config.ts';
import { createDb } from '../server/db/database.ts';
import { ticketSettlementHook } from '../server/events/events.ticket-settlement.ts';
import { emailSealKey as emailSealKeyOf } from '../server/jobs/email-seal.ts';
import {
  bullPrefix,
  isQueueName,
  type JobPayloads,
  QUEUE_NAMES,
  type QueueName,
  Queues,
} from '../server/jobs/queues.ts';
import { createLogger } from '../server/lib/logger.ts';
import { checkPostgres, checkRedis } from '../server/lib/reachability.ts';
import { closeRedis, createRedis } from '../server/lib/redis.ts';
import { onShutdownSignal } from '../server/lib/shutdown.ts';
import { failStartup } from '../server/lib/startup.ts';
import { tuneSharpForWorkers } from '../server/media/image-pipeline.ts';
import { mediaStoreOf } from '../server/media/store.factory.ts';
import { serveMetrics } from '../server/metrics/metrics.server.ts';
import { createWorkerMetrics } from '../server/metrics/worker.metrics.ts';
import { RelayWaker } from '../server/realtime/relay-waker.ts';
import { SettlementHooks } from '../server/wallet/wallet.settlement.ts';
import { createAccountHandler } from './account.ts';
import { deliverEmail } from './email.ts';
import { createMailer } from './mailer.ts';
import { maintenanceSchedules, runMaintenance } from './maintenance.ts';
import { createMediaHandler, MEDIA_CONCURRENCY, type MediaDeps, mediaJobFailed } from './media.ts';
import { createReminderHandler, REMINDERS_CONCURRENCY, reminderSchedules } from './reminders.ts';
import { createTransferHandler, transferSchedules } from './transfers.ts';

const config = loadConfigOrExit();
const logger = createLogger(config.logLevel, 'workers');
process.on('unhandledRejection', (reason) => logger.error({ err: reason }, 'unhandled rejection'));

const requested = process.argv.slice(2);
const unknown = requested.filter((name) => !isQueueName(name));
if (unknown.length > 0) {
  logger.fatal({ unknown, known: QUEUE_NAMES }, 'unknown worker names');
  process.exit(1);
}
const selected: QueueName[] = requested.length > 0 ? (requested as QueueName[]) : [...QUEUE_NAMES];

await Promise.all([checkPostgres(config.databaseUrl), checkRedis(config.redisUrl)]).catch((error: unknown) =>
  failStartup('workers', error, logger),
);

// Settlements, reminders and the rest commit events too: the relay leader hears of each commit. (On a
// connection of its own: ioredis copies the ~60 BullMQ scripts of the producer's onto every pipeline.)
const wakeRedis = createRedis(config.redisUrl, 'commands', 'plaza-workers-relay-waker', logger);
const relayWaker = new RelayWaker(wakeRedis, config.redisPrefix);
const db = createDb({
  url: config.databaseUrl,
  poolSize: config.databasePoolSize,
  applicationName: 'plaza-workers',
  onError: (error) => logger.warn({ err: error }, 'idle database connection lost'),
  onEventsCommitted: relayWaker.eventsCommitted,
});
const connection = createRedis(config.redisUrl, 'blocking', 'plaza-workers', logger);
const queues = new Queues(
  createRedis(config.redisUrl, 'commands', 'plaza-workers-producer', logger),
  config.redisPrefix,
);
const mailer = createMailer(config.smtpUrl, config.mailFrom, logger, config.env);
const emailSealKey = emailSealKeyOf(config.captchaHmacKey);
// Not fatal: emails wait in their queue (retried, then kept as failed jobs) until the SMTP server answers.
void mailer.checkReachable();
const metrics = createWorkerMetrics();
/** Features that sell with transfers register what happens when theirs settle (events: paid tickets). */
const settlementHooks = new SettlementHooks().on(
  'event_ticket',
  ticketSettlementHook({ queues, logger, config }),
);

const mediaDeps: MediaDeps = {
  db,
  store: mediaStoreOf(config),
  logger,
  limits: { maxPixels: config.media.maxPixels },
};

/** Every queue has exactly one handler: the mapped type makes a missing one a compile error. */
const handlers: { [Q in QueueName]: (payload: JobPayloads[Q], job: Job) => Promise<void> } = {
  email: (payload) => deliverEmail(mailer, payload, emailSealKey),
  maintenance: (payload) =>
    runMaintenance(
      {
        db,
        logger,
        eventLogRetentionHours: config.eventLogRetentionHours,
        mediaStore: mediaStoreOf(config),
        queues,
      },
      payload,
    ),
  transfers: createTransferHandler({
    db,
    queues,
    logger,
    currency: config.currency,
    hooks: settlementHooks,
    urls: mediaStoreOf(config),
  }),
  reminders: createReminderHandler({ db, queues, logger, config }),
  media: createMediaHandler(mediaDeps),
  account: createAccountHandler({ db, queues, logger, config, store: mediaStoreOf(config) }),
};
if (selected.includes('media')) tuneSharpForWorkers();

// Reminders: many jobs at once feed their group commit (one transaction for many). Transfers batch
// in the database instead (one wake-up job drains them); the rest are sweeps and the rare transfer
// settling alone after its batch failed.
const concurrency: Record<QueueName, number> = {
  email: 10,
  maintenance: 1,
  transfers: 10,
  reminders: REMINDERS_CONCURRENCY,
  media: MEDIA_CONCURRENCY,
  // Exports hold an archive in memory; purges lock rows others use: few at a time.
  account: 2,
};

/**
 * A killed worker's settlements, reminders and emails come back (as stalled) within seconds, not the
 * default half-minute; a live worker renews its locks every lockDuration/2, so slow jobs are unaffected.
 */
const workerOptions: Partial<Record<QueueName, Partial<WorkerOptions>>> = {
  email: { lockDuration: 5_000, stalledInterval: 3_000 },
  transfers: { lockDuration: 5_000, stalledInterval: 3_000 },
  reminders: { lockDuration: 5_000, stalledInterval: 3_000 },
  media: { lockDuration: 5_000, stalledInterval: 3_000 },
};

const workers = selected.map((name) => {
  const worker = new Worker(
    name,
    async (job: Job) => {
      const started = performance.now();
      const seconds = () => (performance.now() - started) / 1000;
      try {
        await (handlers[name] as (payload: unknown, job: Job) => Promise<void>)(job.data, job);
      } catch (error) {
        metrics.observeJob(name, 'failed', seconds());
        throw error;
      }
      metrics.observeJob(name, 'completed', seconds());
      logger.debug({ queue: name, jobId: job.id, ms: Math.round(performance.now() - started) }, 'job done');
    },
    {
      connection,
      prefix: bullPrefix(config.redisPrefix),
      concurrency: concurrency[name],
      autorun: true,
      ...workerOptions[name],
    },
  );
  worker.on('failed', (job, error) => {
    metrics.jobFailed(name, !job || job.attemptsMade >= (job.opts.attempts ?? 1));
    logger.warn({ queue: name, jobId: job?.id, attempts: job?.attemptsMade, err: error }, 'job failed');
  });
  if (name === 'media') {
    worker.on('failed', (job) => {
      mediaJobFailed(mediaDeps, job).catch((error: unknown) =>
        logger.error({ err: error }, 'media not marked failed'),
      );
    });
  }
  worker.on('error', (error) => logger.warn({ queue: name, err: error }, 'worker error'));
  // A job whose worker died mid-way, taken back to run again (handlers are idempotent by job id).
  worker.on('stalled', (jobId) => logger.warn({ queue: name, jobId }, 'job stalled'));
  return worker;
});

if (selected.includes('maintenance')) {
  const queue = queues.get('maintenance');
  for (const schedule of maintenanceSchedules) {
    await queue.upsertJobScheduler(
      schedule.id,
      { every: schedule.everyMs },
      { name: schedule.id, data: schedule.job },
    );
  }
}

if (selected.includes('transfers')) {
  const queue = queues.get('transfers');
  for (const schedule of transferSchedules) {
    await queue.upsertJobScheduler(
      schedule.id,
      { every: schedule.everyMs },
      { name: schedule.id, data: schedule.job },
    );
  }
}

if (selected.includes('reminders')) {
  const queue = queues.get('reminders');
  for (const schedule of reminderSchedules) {
    await queue.upsertJobScheduler(
      schedule.id,
      { every: schedule.everyMs },
      { name: schedule.id, data: schedule.job },
    );
  }
}

// Prometheus scrapes the workers here (WORKERS_METRICS_PORT); /health doubles as their liveness probe.
const metricsEndpoint = await serveMetrics(metrics.registry, {
  host: config.host,
  port: config.workersMetricsPort,
  logger,
});

logger.info({ queues: selected }, 'workers started');

onShutdownSignal(logger, config.shutdownTimeoutMs, async () => {
  // close() waits for the jobs in progress; nothing is abandoned mid-way.
  await Promise.all(workers.map((w) => w.close()));
  await metricsEndpoint?.close();
  await queues.close();
  mailer.close();
  await closeRedis(connection);
  await db.destroy();
  await closeRedis(wakeRedis);
});
