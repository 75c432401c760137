// The typed job map and the producers' side of BullMQ. Workers live in workers/; both share these names.
import { type JobsOptions, Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { EmailMessage, SealedEmail } from './email-seal.ts';

/** An email in clear, or sealed when it carries a secret (see email-seal.ts). */
export type EmailJob = EmailMessage | SealedEmail;

/**
 * For an email that carries a secret: gone from Redis once delivered. (Other emails keep the defaults:
 * reminders rely on their kept job id to make a repeated enqueue a no-op.)
 */
export const secretEmailJobOptions: JobsOptions = { removeOnComplete: true };

/**
 * Housekeeping: event-log retention; releasing the held ticket money of ended events; deleting media never
 * completed (1 h) or never attached (24 h); removing the stored objects of deleted media (`media_garbage`,
 * also enqueued right after a commit that deleted some, with job id `media-collect`).
 */
export type MaintenanceJob =
  | { task: 'prune-event-log' }
  | { task: 'release-ticket-funds' }
  | { task: 'media-sweep' }
  | { task: 'media-collect' }
  /** Mutes past their end are removed and their sockets hear the muted user again (server/safety). */
  | { task: 'expire-mutes' }
  /** Data exports past their 7 days: the archive and its row go (server/account/export.ts). */
  | { task: 'expire-exports' };

/**
 * Settle whatever is pending (the deduplicated wake-up), settle one transfer alone (job id = transfer id:
 * one whose batch failed), or wake settlement for stale pending transfers (the sweeper).
 */
export type TransferJob =
  | { task: 'settle-pending' }
  | { task: 'settle'; transferId: string }
  | { task: 'sweep' };

/**
 * Send an event's reminders to everyone going (one job per event and start: job id from eventId and
 * startsAt, so a moved event gets a new job and a stale one finds the start changed and does nothing),
 * send one participant's (who became going once the event's job may have run), or schedule missing ones
 * (the reconciler). See server/events/events.reminders.ts.
 */
export type ReminderJob =
  | { task: 'send-event'; eventId: string; startsAt: string }
  | { task: 'send'; eventId: string; userId: string; startsAt: string }
  | { task: 'reconcile' };

/** Process one completed upload (job id = `process-<media id>`: BullMQ refuses a `:` in custom ids, so a repeated `complete` is one job). */
export type MediaJob = { task: 'process'; mediaId: string };

/**
 * Account lifecycle: build one data export (job id = `export_<id>`), or remove what a deleted account
 * left (job id = `delete_<user id>`; in ordered batches, resumable: a rerun finds less to do).
 */
export type AccountJob = { task: 'export'; exportId: string } | { task: 'delete'; userId: string };

/** Queue name → job payload. Adding a queue here makes the worker's handler map incomplete until it's handled. */
export interface JobPayloads {
  email: EmailJob;
  maintenance: MaintenanceJob;
  transfers: TransferJob;
  reminders: ReminderJob;
  media: MediaJob;
  account: AccountJob;
}

export type QueueName = keyof JobPayloads;

export const QUEUE_NAMES: readonly QueueName[] = [
  'email',
  'maintenance',
  'transfers',
  'reminders',
  'media',
  'account',
];

export const isQueueName = (name: string): name is QueueName =>
  (QUEUE_NAMES as readonly string[]).includes(name);

/** BullMQ key prefix under the deployment's Redis prefix, so runs and deployments never share keys. */
export const bullPrefix = (redisPrefix: string) => `${redisPrefix}:bull`;

export const defaultJobOptions: JobsOptions = {
  attempts: 8,
  backoff: { type: 'exponential', delay: 1_000 },
  removeOnComplete: { age: 3_600, count: 5_000 },
  // Failed jobs stay for a week, for inspection and retry from the dashboard.
  removeOnFail: { age: 7 * 24 * 3_600 },
};

export class Queues {
  private readonly queues = new Map<QueueName, Queue>();

  private readonly connection: Redis;
  private readonly redisPrefix: string;

  constructor(connection: Redis, redisPrefix: string) {
    this.connection = connection;
    this.redisPrefix = redisPrefix;
  }

  get<Q extends QueueName>(name: Q): Queue<JobPayloads[Q]> {
    let queue = this.queues.get(name);
    if (!queue) {
      queue = new Queue(name, {
        connection: this.connection,
        prefix: bullPrefix(this.redisPrefix),
        defaultJobOptions,
      });
      queue.on('error', () => {});
      this.queues.set(name, queue);
    }
    return queue as Queue<JobPayloads[Q]>;
  }

  async add<Q extends QueueName>(name: Q, payload: JobPayloads[Q], options?: JobsOptions): Promise<void> {
    // BullMQ's generic name/data types are too deep for a mapped payload; the map above is the contract.
    const queue = this.get(name) as unknown as Queue<unknown, unknown, string>;
    await queue.add(name, payload, options);
  }

  async close(): Promise<void> {
    await Promise.all([...this.queues.values()].map((q) => q.close()));
  }
}
