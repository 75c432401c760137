// Email jobs that carry a secret (sign-in codes, reset links) travel sealed: Redis, and any dashboard over
// it, holds the recipient and ciphertext only; the workers, which hold the key, open them to send.
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

export interface EmailMessage {
  to: string;
  subject: string;
  text: string;
  html?: string;
}

export interface SealedEmail {
  to: string;
  /** `v1.<iv>.<ciphertext+tag>`, base64url: AES-256-GCM of the subject, text and html. */
  sealed: string;
}

const VERSION = 'v1';
const keys = new Map<string, Buffer>();

/**
 * The sealing key, derived from the deployment's secret (HKDF with its own label, so it is independent of
 * the CAPTCHA's HMAC key it comes from): servers and workers share it without another variable to set.
 */
export function emailSealKey(secret: string): Buffer {
  let key = keys.get(secret);
  if (!key) {
    key = Buffer.from(hkdfSync('sha256', secret, 'plaza', 'email job sealing v1', 32));
    keys.set(secret, key);
  }
  return key;
}

export function sealEmail(key: Buffer, message: EmailMessage): SealedEmail {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  // The recipient is authenticated too: a sealed code cannot be readdressed by editing the job in Redis.
  cipher.setAAD(Buffer.from(message.to));
  const body = JSON.stringify({ subject: message.subject, text: message.text, html: message.html });
  const ciphertext = Buffer.concat([cipher.update(body, 'utf8'), cipher.final(), cipher.getAuthTag()]);
  return {
    to: message.to,
    sealed: [VERSION, iv.toString('base64url'), ciphertext.toString('base64url')].join('.'),
  };
}

export class UnreadableEmailError extends Error {
  constructor() {
    super('sealed email cannot be opened (other key, or altered)');
    this.name = 'UnreadableEmailError';
  }
}

export function openEmail(key: Buffer, job: SealedEmail): EmailMessage {
  const [version, iv, payload] = job.sealed.split('.');
  if (version !== VERSION || !iv || !payload) throw new UnreadableEmailError();
  try {
    const data = Buffer.from(payload, 'base64url');
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
    decipher.setAAD(Buffer.from(job.to));
    decipher.setAuthTag(data.subarray(data.length - 16));
    const body = Buffer.concat([decipher.update(data.subarray(0, data.length - 16)), decipher.final()]);
    const opened = JSON.parse(body.toString('utf8')) as Omit<EmailMessage, 'to'>;
    return { to: job.to, ...opened };
  } catch {
    throw new UnreadableEmailError();
  }
}
