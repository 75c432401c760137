// Rate limits as Redis counters (rate-limiter-flexible), shared by every instance. While Redis is down
// each instance falls back to an in-memory limiter with the same rule rather than failing open.
import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { rateLimited } from './errors.ts';

export interface LimitRule {
  /** How many actions… */
  points: number;
  /** …per this many seconds. */
  durationSec: number;
  /** Once exceeded, refuse for this long (default: until the window ends). */
  blockSec?: number;
}

export interface LimitOptions {
  /** Maps the caller's key to the counted one (e.g. a client address to its bucket): one rule, one keying. */
  keyOf?: (key: string) => string;
  /** Called once when `key` first goes over the limit (not for each refusal after), e.g. to log a lockout. */
  onLimitReached?: (key: string, retryAfterMs: number) => void;
}

export class RateLimit {
  private readonly limiter: RateLimiterRedis;
  private readonly points: number;
  private readonly keyOf: (key: string) => string;
  private readonly onLimitReached: LimitOptions['onLimitReached'];

  constructor(redis: Redis, redisPrefix: string, name: string, rule: LimitRule, options: LimitOptions = {}) {
    this.points = rule.points;
    this.keyOf = options.keyOf ?? ((key) => key);
    this.onLimitReached = options.onLimitReached;
    this.limiter = new RateLimiterRedis({
      storeClient: redis,
      keyPrefix: `${redisPrefix}:rl:${name}`,
      points: rule.points,
      duration: rule.durationSec,
      blockDuration: rule.blockSec ?? 0,
      insuranceLimiter: new RateLimiterMemory({
        points: rule.points,
        duration: rule.durationSec,
        blockDuration: rule.blockSec ?? 0,
      }),
    });
  }

  /** Counts one action for `key`; throws `rate_limited` with `retryAfterMs` when over the limit. */
  async consume(key: string, points = 1): Promise<void> {
    const counted = this.keyOf(key);
    try {
      await this.limiter.consume(counted, points);
    } catch (error) {
      if (error instanceof RateLimiterRes) {
        // This very call crossed the limit (the counter was within it before): the moment a lock starts.
        if (this.onLimitReached && error.consumedPoints - points <= this.points)
          this.onLimitReached(counted, error.msBeforeNext);
        throw rateLimited(error.msBeforeNext);
      }
      throw error;
    }
  }

  /** Milliseconds until `key` may act again, 0 when it may now. */
  async retryAfterMs(key: string): Promise<number> {
    const res = await this.limiter.get(this.keyOf(key));
    if (!res || res.remainingPoints > 0) return 0;
    return res.msBeforeNext;
  }

  /** Gives back points that `consume` took, for actions that turned out not to count (a right password). */
  async refund(key: string, points = 1): Promise<void> {
    await this.limiter.reward(this.keyOf(key), points);
  }

  async reset(key: string): Promise<void> {
    await this.limiter.delete(this.keyOf(key));
  }
}
