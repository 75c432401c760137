// Outgoing email: SMTP through nodemailer, or the log when SMTP_URL is unset (development).
import nodemailer from 'nodemailer';
import type { Config } from '../server/config.ts';
import type { EmailMessage } from '../server/jobs/email-seal.ts';
import type { Logger } from '../server/lib/logger.ts';

export interface Mailer {
  send: (message: EmailMessage) => Promise<void>;
  close: () => void;
}

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
