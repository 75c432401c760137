// Periodic housekeeping: event-log retention, releasing ticket money of ended events (more tasks join as
// features need them).
import type { Db } from '../server/db/database.ts';
import { releaseEndedEventFunds } from '../server/events/events.ticket-release.ts';
import type { MaintenanceJob } from '../server/jobs/queues.ts';
import type { Logger } from '../server/lib/logger.ts';
import { pruneEventLog } from '../server/realtime/event-log.ts';

export interface MaintenanceDeps {
  db: Db;
  logger: Logger;
  eventLogRetentionHours: number;
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
  }
}

/** Repeating schedules, upserted at every worker start (idempotent across workers). */
export const maintenanceSchedules: ReadonlyArray<{ id: string; everyMs: number; job: MaintenanceJob }> = [
  { id: 'prune-event-log', everyMs: 10 * 60_000, job: { task: 'prune-event-log' } },
  // Organizers wait at most this long past an event's end for its ticket money.
  { id: 'release-ticket-funds', everyMs: 60_000, job: { task: 'release-ticket-funds' } },
];
