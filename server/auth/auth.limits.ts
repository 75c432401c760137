// Rate limits of the account flows, per client address and per account (an email or login name, known or not,
// so the limits themselves reveal nothing). Counters live in Redis and hold across instances.
import type { Redis } from 'ioredis';
import { type LimitRule, RateLimit } from '../lib/rate-limit.ts';

const MINUTE = 60;
const HOUR = 60 * MINUTE;

/** name → rule. One place to read every limit; README lists them. */
export const AUTH_LIMIT_RULES = {
  registerPerIp: { points: 10, durationSec: HOUR },
  loginPerIp: { points: 30, durationSec: 15 * MINUTE },
  loginPerAccount: { points: 10, durationSec: 15 * MINUTE, blockSec: 15 * MINUTE },
  loginCodePerIp: { points: 10, durationSec: 15 * MINUTE },
  loginCodePerEmail: { points: 3, durationSec: 15 * MINUTE },
  codeVerifyPerIp: { points: 30, durationSec: 15 * MINUTE },
  forgotPerIp: { points: 10, durationSec: HOUR },
  forgotPerEmail: { points: 3, durationSec: HOUR },
  resetPerIp: { points: 20, durationSec: 15 * MINUTE },
  resendPerIp: { points: 10, durationSec: 15 * MINUTE },
  resendPerEmail: { points: 3, durationSec: 15 * MINUTE },
} as const satisfies Record<string, LimitRule>;

export type AuthLimits = { [K in keyof typeof AUTH_LIMIT_RULES]: RateLimit };

export function createAuthLimits(redis: Redis, redisPrefix: string): AuthLimits {
  return Object.fromEntries(
    Object.entries(AUTH_LIMIT_RULES).map(([name, rule]) => [
      name,
      new RateLimit(redis, redisPrefix, name, rule),
    ]),
  ) as AuthLimits;
}

/** Accounts are keyed case-insensitively, as they are stored. */
export const accountKey = (login: string): string => login.trim().toLowerCase();
