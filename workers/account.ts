// The `account` queue: building data exports and purging deleted accounts (server/account/).
import type { Job } from 'bullmq';
import { type PurgeDeps, purgeAccount } from '../server/account/deletion.ts';
import { buildExport, markExportFailed } from '../server/account/export-archive.ts';
import type { AccountJob } from '../server/jobs/queues.ts';
import type { MediaStore } from '../server/media/media.store.ts';

export type AccountWorkerDeps = Omit<PurgeDeps, 'store'> & { store: MediaStore };

export function createAccountHandler(deps: AccountWorkerDeps): (job: AccountJob, raw: Job) => Promise<void> {
  return async (job, raw) => {
    if (job.task === 'delete') return purgeAccount(deps, job.userId);
    try {
      await buildExport(deps, job.exportId);
    } catch (error) {
      // The last attempt: the account sees `failed` rather than a build pending for ever.
      if (raw.attemptsMade + 1 >= (raw.opts.attempts ?? 1)) await markExportFailed(deps.db, job.exportId);
      throw error;
    }
  };
}
