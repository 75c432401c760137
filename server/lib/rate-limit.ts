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
  /** The rule, for scripts that count this limit themselves (countInScript). */
  readonly rule: LimitRule;
  private readonly limiter: RateLimiterRedis;
  private readonly points: number;
  private readonly keyOf: (key: string) => string;
  private readonly onLimitReached: LimitOptions['onLimitReached'];

  constructor(redis: Redis, redisPrefix: string, name: string, rule: LimitRule, options: LimitOptions = {}) {
    this.rule = rule;
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

  /** The Redis key that counts `key`: a script counting several limits in one round trip writes it. */
  storeKey(key: string): string {
    return this.limiter.getKey(this.keyOf(key));
  }

  /**
   * What `consume` does with the count a script read (COUNT_IN_SCRIPT): nothing within the limit; over
   * it, throws `rate_limited` (and reports the moment a lock starts, as consume does).
   */
  settle(key: string, consumed: number, msBeforeNext: number, points = 1): void {
    if (consumed <= this.points) return;
    if (this.onLimitReached && consumed - points <= this.points)
      this.onLimitReached(this.keyOf(key), msBeforeNext);
    throw rateLimited(msBeforeNext);
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

/**
 * Lua for scripts that count a RateLimit in Redis themselves: `count(key, points, durationSec, limit,
 * blockSec)` returns the count after adding `points` and the milliseconds until it resets — rate-limiter-flexible's
 * own increment script (RateLimiterRedis) followed by its block (RateLimiterStoreAbstract: the call that first
 * goes over the limit sets the count again with the block's lifetime), so both write the same keys alike.
 */
export const COUNT_IN_SCRIPT = `
local function count(key, points, duration, limit, block)
  redis.call('set', key, 0, 'EX', duration, 'NX')
  local consumed = redis.call('incrby', key, points)
  local ttl = redis.call('pttl', key)
  if ttl == -1 then
    redis.call('expire', key, duration)
    ttl = 1000 * duration
  end
  if block > 0 and consumed > limit and consumed <= limit + points then
    redis.call('set', key, consumed, 'EX', block)
    ttl = 1000 * block
  end
  return consumed, ttl
end
`;

/** COUNT_IN_SCRIPT's arguments after the key for one point of `limit`. */
export const countArgs = (limit: RateLimit): number[] => [
  1,
  limit.rule.durationSec,
  limit.rule.points,
  limit.rule.blockSec ?? 0,
];
