// A real SMTP server on loopback that keeps every message it receives, parsed.
import type { AddressInfo } from 'node:net';
import { type ParsedMail, simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { waitFor } from './wait.ts';

export interface SinkMessage {
  to: string[];
  subject: string;
  text: string;
  html: string;
}

export interface SmtpSink {
  url: string;
  messages: SinkMessage[];
  /** Waits for a message to `to` matching `match`, and returns it. */
  waitForMessage: (
    to: string,
    match?: (m: SinkMessage) => boolean,
    timeoutMs?: number,
  ) => Promise<SinkMessage>;
  close: () => Promise<void>;
}

function addresses(mail: ParsedMail): string[] {
  const list = Array.isArray(mail.to) ? mail.to : mail.to ? [mail.to] : [];
  return list.flatMap((a) => a.value.map((v) => (v.address ?? '').toLowerCase()));
}

export async function startSmtpSink(): Promise<SmtpSink> {
  const messages: SinkMessage[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, _session, callback) {
      simpleParser(stream).then(
        (mail) => {
          messages.push({
            to: addresses(mail),
            subject: mail.subject ?? '',
            text: mail.text ?? '',
            html: typeof mail.html === 'string' ? mail.html : '',
          });
          callback();
        },
        (error: Error) => callback(error),
      );
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.server.address() as AddressInfo).port;
  return {
    url: `smtp://127.0.0.1:${port}`,
    messages,
    waitForMessage: (to, match = () => true, timeoutMs = 15_000) =>
      waitFor(() => messages.find((m) => m.to.includes(to.toLowerCase()) && match(m)), {
        timeoutMs,
        what: `an email to ${to}`,
      }),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
