// Email delivery: one job, one message. Retries with backoff come from the queue's defaults.
import { UnrecoverableError } from 'bullmq';
import { type EmailMessage, openEmail, UnreadableEmailError } from '../server/jobs/email-seal.ts';
import type { EmailJob } from '../server/jobs/queues.ts';
import type { Mailer } from './mailer.ts';

export async function deliverEmail(mailer: Mailer, job: EmailJob, sealKey: Buffer): Promise<void> {
  await mailer.send(messageOf(job, sealKey));
}

function messageOf(job: EmailJob, sealKey: Buffer): EmailMessage {
  if (!('sealed' in job)) return job;
  try {
    return openEmail(sealKey, job);
  } catch (error) {
    // Another key (a rotated secret) or an altered job: no retry will open it.
    if (error instanceof UnreadableEmailError) throw new UnrecoverableError(error.message);
    throw error;
  }
}
