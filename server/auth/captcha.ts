// CAPTCHA: ALTCHA proof-of-work (altcha-lib's v1 protocol: SHA-256 with `maxnumber`), each solution accepted once.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { createChallenge } from 'altcha-lib/v1';
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

export const captchaFailed = () =>
  new AppError('captcha_failed', 'The CAPTCHA is missing, invalid or already used');

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

const sha256Hex = (data: string) => createHash('sha256').update(data).digest('hex');
const hmacSha256Hex = (key: string, data: string) => createHmac('sha256', key).update(data).digest('hex');
/** Equal hex strings, compared in constant time (a length mismatch is simply false). */
const sameHex = (a: string, b: string) =>
  a.length === b.length && timingSafeEqual(Buffer.from(a, 'latin1'), Buffer.from(b, 'latin1'));

/**
 * altcha-lib v1's `verifySolution` for SHA-256, done with node:crypto: the challenge is
 * SHA-256(salt + number) and the signature HMAC-SHA-256(hmacKey, challenge), so the salt (and the expiry in
 * it) is signed. altcha-lib does the same through WebCrypto, i.e. two jobs on libuv's thread pool, where
 * they queued behind argon2 verifications under a login flood; these hashes take microseconds inline.
 * Returns the challenge and its expiry (epoch seconds) when the solution is valid and unexpired, else null.
 */
export function verifyCaptchaSolution(
  payload: string,
  hmacKey: string,
  now = Date.now(),
): { challenge: string; expires: number } | null {
  const solved = decode(payload);
  if (!solved) return null;
  // The expiry rides in the signed salt; a challenge without one would be usable forever.
  const expires = Number(new URLSearchParams(solved.salt.split('?')[1] ?? '').get('expires'));
  if (!Number.isFinite(expires) || expires <= 0 || expires * 1_000 < now) return null;
  const challenge = sha256Hex(solved.salt + solved.number);
  if (!sameHex(challenge, solved.challenge)) return null;
  if (!sameHex(hmacSha256Hex(hmacKey, challenge), solved.signature)) return null;
  return { challenge, expires };
}

export interface CaptchaClaim {
  key: string;
  ttlMs: number;
}

/**
 * The Redis key that marks a solution used, and for how long to keep it (until it expires anyway), when the
 * solution is valid; null when it is missing, invalid or expired. Whoever sets the key first (SET NX) used it.
 */
export function captchaClaim(deps: CaptchaDeps, payload: string | undefined): CaptchaClaim | null {
  const verified = payload ? verifyCaptchaSolution(payload, deps.hmacKey) : null;
  if (!verified) return null;
  return {
    key: `${deps.redisPrefix}:captcha:${verified.challenge}`,
    ttlMs: Math.max(1_000, verified.expires * 1_000 - Date.now()),
  };
}

/** Accepts a solved challenge once (signature and expiry checked); throws `captcha_failed` otherwise. */
export async function consumeCaptcha(deps: CaptchaDeps, payload: string | undefined): Promise<void> {
  const claim = captchaClaim(deps, payload);
  if (!claim) throw captchaFailed();
  // SET NX makes "used once" hold across instances and races.
  const first = await deps.redis.set(claim.key, '1', 'PX', claim.ttlMs, 'NX');
  if (first !== 'OK') throw captchaFailed();
}
