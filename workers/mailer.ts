// Outgoing email: SMTP through nodemailer, or the log when SMTP_URL is unset (development).
import nodemailer from 'nodemailer';
import type { Config } from '../server/config.ts';
import type { EmailMessage } from '../server/jobs/email-seal.ts';
import type { Logger } from '../server/lib/logger.ts';
import { connectionReason, redactUrl } from '../server/lib/reachability.ts';

export interface Mailer {
  send: (message: EmailMessage) => Promise<void>;
  close: () => void;
  /** Logs one warning line when the SMTP server does not answer; never throws. */
  checkReachable: () => Promise<void>;
}

/** How long the start-up check waits for the SMTP server's greeting. */
const SMTP_CHECK_TIMEOUT_MS = 5_000;

export function createMailer(
  smtpUrl: string | undefined,
  from: string,
  logger: Logger,
  env: Config['env'] = 'development',
): Mailer {
  if (!smtpUrl) {
    // Production requires SMTP_URL; should one run without it anyway, its logs get no code nor link.
    const content = (message: EmailMessage) =>
      env === 'production' ? {} : { subject: message.subject, text: message.text };
    return {
      send: async (message) => {
        logger.info({ mail: { to: message.to, ...content(message) } }, 'email (not sent: SMTP_URL unset)');
      },
      close: () => {},
      checkReachable: async () => {},
    };
  }
  const transport = nodemailer.createTransport(smtpUrl, { from });
  const checkTransport = nodemailer.createTransport({
    url: smtpUrl,
    connectionTimeout: SMTP_CHECK_TIMEOUT_MS,
    greetingTimeout: SMTP_CHECK_TIMEOUT_MS,
  });
  return {
    send: async (message) => {
      await transport.sendMail({ from, ...message });
    },
    close: () => transport.close(),
    checkReachable: async () => {
      try {
        await checkTransport.verify();
      } catch (error) {
        logger.warn(
          `Cannot reach the SMTP server at ${redactUrl(smtpUrl)} (${connectionReason(error)}): ` +
            'emails wait in their queue and go out once it answers (check SMTP_URL)',
        );
      } finally {
        checkTransport.close();
      }
    },
  };
}
