// Outgoing email: SMTP through nodemailer, or the log when SMTP_URL is unset (development).
import nodemailer from 'nodemailer';
import type { EmailJob } from '../server/jobs/queues.ts';
import type { Logger } from '../server/lib/logger.ts';

export interface Mailer {
  send: (message: EmailJob) => Promise<void>;
  close: () => void;
}

export function createMailer(smtpUrl: string | undefined, from: string, logger: Logger): Mailer {
  if (!smtpUrl) {
    return {
      send: async (message) => {
        logger.info(
          { mail: { to: message.to, subject: message.subject, text: message.text } },
          'email (not sent: SMTP_URL unset)',
        );
      },
      close: () => {},
    };
  }
  const transport = nodemailer.createTransport(smtpUrl, { from });
  return {
    send: async (message) => {
      await transport.sendMail({ from, ...message });
    },
    close: () => transport.close(),
  };
}
