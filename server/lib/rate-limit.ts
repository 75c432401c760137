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

export class RateLimit {
  private readonly limiter: RateLimiterRedis;

  constructor(redis: Redis, redisPrefix: string, name: string, rule: LimitRule) {
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
    try {
      await this.limiter.consume(key, points);
    } catch (error) {
      if (error instanceof RateLimiterRes) throw rateLimited(error.msBeforeNext);
      throw error;
    }
  }

  /** Milliseconds until `key` may act again, 0 when it may now. */
  async retryAfterMs(key: string): Promise<number> {
    const res = await this.limiter.get(key);
    if (!res || res.remainingPoints > 0) return 0;
    return res.msBeforeNext;
  }

  async reset(key: string): Promise<void> {
    await this.limiter.delete(key);
  }
}
