// Periodic housekeeping: event-log retention, releasing ticket money of ended events, media past their time
// and the stored files of deleted media (more tasks join as features need them).

import { requeueUnfinishedPurges } from '../server/account/deletion.ts';
import { expireExports } from '../server/account/export.ts';
import type { Db } from '../server/db/database.ts';
import { releaseEndedEventFunds } from '../server/events/events.ticket-release.ts';
import type { MaintenanceJob, Queues } from '../server/jobs/queues.ts';
import type { Logger } from '../server/lib/logger.ts';
import { collectMediaGarbage, sweepMedia } from '../server/media/media.cleanup.ts';
import type { MediaStore } from '../server/media/media.store.ts';
import { pruneEventLog } from '../server/realtime/event-log.ts';
import { expireMutes } from '../server/safety/safety.service.ts';

export interface MaintenanceDeps {
  db: Db;
  logger: Logger;
  eventLogRetentionHours: number;
  /**
   * Where deleted media's files are removed from: `mediaStoreOf(config)`. Only the media tasks need it
   * (tests of the other tasks leave it out).
   */
  mediaStore?: Pick<MediaStore, 'delete'>;
  /** Re-queues account purges a lost job left unfinished (`expire-exports`). */
  queues?: Pick<Queues, 'add'>;
  /** The clock of the media sweep (tests move it). */
  now?: () => Date;
}

export async function runMaintenance(deps: MaintenanceDeps, job: MaintenanceJob): Promise<void> {
  switch (job.task) {
    case 'prune-event-log': {
      const deleted = await pruneEventLog(deps.db, deps.eventLogRetentionHours);
      if (deleted > 0) deps.logger.info({ deleted }, 'event log pruned');
      return;
    }
    case 'release-ticket-funds': {
      const released = await releaseEndedEventFunds(deps.db);
      if (released.events > 0) deps.logger.info(released, 'ticket money of ended events released');
      return;
    }
    case 'media-sweep': {
      const swept = await sweepMedia(deps.db, deps.now?.() ?? new Date());
      if (swept.uncompleted + swept.unattached > 0) deps.logger.info(swept, 'expired media deleted');
      // Their files go now rather than at the next collection.
      const collected = await collectMediaGarbage(deps.db, storeOf(deps));
      if (collected > 0) deps.logger.info({ media: collected }, 'files of deleted media removed');
      return;
    }
    case 'media-collect': {
      const collected = await collectMediaGarbage(deps.db, storeOf(deps));
      if (collected > 0) deps.logger.info({ media: collected }, 'files of deleted media removed');
      return;
    }
    case 'expire-mutes': {
      const expired = await expireMutes(deps.db);
      if (expired > 0) deps.logger.info({ mutes: expired }, 'expired mutes removed');
      return;
    }
    case 'expire-exports': {
      const removed = await expireExports(deps.db, storeOf(deps), deps.now?.() ?? new Date());
      if (removed > 0) deps.logger.info({ exports: removed }, 'expired data exports removed');
      if (deps.queues) {
        const requeued = await requeueUnfinishedPurges(deps.db, deps.queues);
        if (requeued > 0) deps.logger.warn({ accounts: requeued }, 'unfinished account purges queued again');
      }
      return;
    }
  }
}

function storeOf(deps: MaintenanceDeps): Pick<MediaStore, 'delete'> {
  if (!deps.mediaStore) throw new Error('media maintenance needs deps.mediaStore');
  return deps.mediaStore;
}

/** Repeating schedules, upserted at every worker start (idempotent across workers). */
export const maintenanceSchedules: ReadonlyArray<{ id: string; everyMs: number; job: MaintenanceJob }> = [
  { id: 'prune-event-log', everyMs: 10 * 60_000, job: { task: 'prune-event-log' } },
  // Organizers wait at most this long past an event's end for its ticket money.
  { id: 'release-ticket-funds', everyMs: 60_000, job: { task: 'release-ticket-funds' } },
  { id: 'media-sweep', everyMs: 10 * 60_000, job: { task: 'media-sweep' } },
  // Commits that delete media also wake the collector at once (queueMediaCollect); this catches the rest.
  { id: 'media-collect', everyMs: 60_000, job: { task: 'media-collect' } },
  // A mute with an end also queues this job for that moment (queueMuteExpiry); this catches the rest.
  { id: 'expire-mutes', everyMs: 60_000, job: { task: 'expire-mutes' } },
  // Archives live 7 days; an hour late is no harm.
  { id: 'expire-exports', everyMs: 60 * 60_000, job: { task: 'expire-exports' } },
];
