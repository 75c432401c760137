// Rate limits of the account flows, per client address and per account (an email or login name, known or not,
// so the limits themselves reveal nothing). Counters live in Redis and hold across instances.
import type { Redis } from 'ioredis';
import { addressBucket } from '../http/client-ip.ts';
import type { Logger } from '../lib/logger.ts';
import { type LimitRule, RateLimit } from '../lib/rate-limit.ts';

const MINUTE = 60;
const HOUR = 60 * MINUTE;

interface AuthLimitRule extends LimitRule {
  /** Keyed by the client address, counted per addressBucket (an IPv4 address or an IPv6 /64). */
  byAddress?: true;
  /** Going over it locks an account: logged, for the security log. */
  isLockout?: true;
}

/** name → rule. One place to read every limit; README lists them. */
export const AUTH_LIMIT_RULES = {
  registerPerIp: { points: 10, durationSec: HOUR, byAddress: true },
  loginPerIp: { points: 30, durationSec: 15 * MINUTE, byAddress: true },
  /**
   * Keyed by account and client network (loginLockoutKey): ten wrong passwords lock that account out of
   * password login from that network only, so one attacker cannot keep the owner out everywhere else.
   */
  loginPerAccountNetwork: { points: 10, durationSec: 15 * MINUTE, blockSec: 15 * MINUTE, isLockout: true },
  /**
   * Every network together, counted only for tries that the network's own limit let through (a right
   * password gives its try back): bounds guessing spread over many networks (one IPv6 /48 alone holds
   * 65,536 /64s) to 100 per 15 minutes. Reaching it still locks the owner out of password login, but
   * that takes 100 solved CAPTCHAs from at least ten networks per 15 minutes, and signing in by code
   * keeps working.
   */
  loginPerAccount: { points: 100, durationSec: 15 * MINUTE, isLockout: true },
  loginCodePerIp: { points: 10, durationSec: 15 * MINUTE, byAddress: true },
  loginCodePerEmail: { points: 3, durationSec: 15 * MINUTE },
  codeVerifyPerIp: { points: 30, durationSec: 15 * MINUTE, byAddress: true },
  forgotPerIp: { points: 10, durationSec: HOUR, byAddress: true },
  forgotPerEmail: { points: 3, durationSec: HOUR },
  resetPerIp: { points: 20, durationSec: 15 * MINUTE, byAddress: true },
  resendPerIp: { points: 10, durationSec: 15 * MINUTE, byAddress: true },
  resendPerEmail: { points: 3, durationSec: 15 * MINUTE },
  /**
   * The password a signed-in user confirms (changing the password or the email), keyed by user: a stolen
   * session cannot guess the password it would need to take the account over faster than a login could
   * (a right password gives its try back).
   */
  passwordConfirmPerUser: { points: 10, durationSec: 15 * MINUTE, blockSec: 15 * MINUTE, isLockout: true },
  /** Email-change codes a user may have sent (each to an address of their choosing). */
  emailChangePerUser: { points: 5, durationSec: HOUR },
} as const satisfies Record<string, AuthLimitRule>;

export type AuthLimits = { [K in keyof typeof AUTH_LIMIT_RULES]: RateLimit };

export function createAuthLimits(redis: Redis, redisPrefix: string, logger: Logger): AuthLimits {
  return Object.fromEntries(
    Object.entries(AUTH_LIMIT_RULES).map(([name, rule]: [string, AuthLimitRule]) => [
      name,
      new RateLimit(redis, redisPrefix, name, rule, {
        ...(rule.byAddress ? { keyOf: addressBucket } : {}),
        ...(rule.isLockout
          ? {
              onLimitReached: (key: string, retryAfterMs: number) =>
                logger.warn(
                  { securityEvent: 'password_login_locked', limit: name, key, retryAfterMs },
                  'password login locked out',
                ),
            }
          : {}),
      }),
    ]),
  ) as AuthLimits;
}

/** The lockout's key: the account as typed (known or not, the same work) and the client's network. */
export const loginLockoutKey = (account: string, network: string): string => `${network} ${account}`;

/** Accounts are keyed case-insensitively, as they are stored. */
export const accountKey = (login: string): string => login.trim().toLowerCase();
