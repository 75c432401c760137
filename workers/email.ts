// Email delivery: one job, one message. Retries with backoff come from the queue's defaults.
import type { EmailJob } from '../server/jobs/queues.ts';
import type { Mailer } from './mailer.ts';

export async function deliverEmail(mailer: Mailer, job: EmailJob): Promise<void> {
  await mailer.send(job);
}
