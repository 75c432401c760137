// CAPTCHA: ALTCHA proof-of-work (altcha-lib's v1 protocol: SHA-256 with `maxnumber`), each solution accepted once.
import { createChallenge, verifySolution } from 'altcha-lib/v1';
import type { Redis } from 'ioredis';
import { AppError } from '../lib/errors.ts';

/** A challenge must be solved and used within this time. */
const CHALLENGE_TTL_MS = 10 * 60 * 1_000;

export interface CaptchaChallenge {
  algorithm: string;
  challenge: string;
  maxnumber: number;
  salt: string;
  signature: string;
}

export interface CaptchaDeps {
  redis: Redis;
  redisPrefix: string;
  hmacKey: string;
  maxNumber: number;
}

const captchaFailed = () => new AppError('captcha_failed', 'The CAPTCHA is missing, invalid or already used');

export async function createCaptcha(deps: CaptchaDeps): Promise<CaptchaChallenge> {
  const challenge = await createChallenge({
    algorithm: 'SHA-256',
    hmacKey: deps.hmacKey,
    maxnumber: deps.maxNumber,
    expires: new Date(Date.now() + CHALLENGE_TTL_MS),
  });
  return { ...challenge, maxnumber: challenge.maxnumber ?? deps.maxNumber };
}

interface SolvedPayload {
  algorithm: 'SHA-256';
  challenge: string;
  number: number;
  salt: string;
  signature: string;
}

function decode(payload: string): SolvedPayload | null {
  try {
    const value = JSON.parse(Buffer.from(payload, 'base64').toString('utf8')) as Record<string, unknown>;
    const ok =
      value.algorithm === 'SHA-256' &&
      typeof value.challenge === 'string' &&
      typeof value.salt === 'string' &&
      typeof value.signature === 'string' &&
      Number.isSafeInteger(value.number);
    return ok ? (value as unknown as SolvedPayload) : null;
  } catch {
    return null;
  }
}

/** Accepts a solved challenge once (signature and expiry checked by altcha-lib); throws `captcha_failed` otherwise. */
export async function consumeCaptcha(deps: CaptchaDeps, payload: string | undefined): Promise<void> {
  const solved = payload ? decode(payload) : null;
  // The expiry rides in the signed salt; a challenge without one would be usable forever.
  const expires = solved ? Number(new URLSearchParams(solved.salt.split('?')[1] ?? '').get('expires')) : 0;
  if (!solved || !Number.isFinite(expires) || expires <= 0) throw captchaFailed();
  if (!(await verifySolution(solved, deps.hmacKey, true))) throw captchaFailed();
  // Remember it until it expires anyway: SET NX makes "used once" hold across instances and races.
  const ttlMs = Math.max(1_000, expires * 1_000 - Date.now());
  const first = await deps.redis.set(
    `${deps.redisPrefix}:captcha:${solved.challenge}`,
    '1',
    'PX',
    ttlMs,
    'NX',
  );
  if (first !== 'OK') throw captchaFailed();
}
