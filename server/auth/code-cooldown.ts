// The wrong-code cooldown of API.md, per address in Redis (shared by every instance): after the second wrong
// code, further attempts are refused for min(30 s × 2^(failures − 2), 1 h).
import type { Redis } from 'ioredis';
import { rateLimited } from '../lib/errors.ts';

const BASE_MS = 30_000;
const MAX_MS = 60 * 60 * 1_000;
/** Failures are forgotten a day after the last one (or at once after a correct code). */
const FAILURES_TTL_MS = 24 * 60 * 60 * 1_000;

export const cooldownMs = (failures: number): number =>
  failures < 2 ? 0 : Math.min(BASE_MS * 2 ** (failures - 2), MAX_MS);

/**
 * Checks the lock and counts the attempt as a failure in one step, before the code is looked at: a burst
 * that arrives at once is serialised here, so the second attempt already sets the lock that refuses the
 * third. (Checking first and counting after the code was tried let a whole burst through.) A right code
 * then clears the count. Returns the milliseconds left of the lock, 0 when the attempt may go ahead.
 */
const RESERVE = `
local left = redis.call('PTTL', KEYS[2])
if left > 0 then return left end
local failures = redis.call('INCR', KEYS[1])
redis.call('PEXPIRE', KEYS[1], ARGV[1])
if failures >= 2 then
  local ms = math.min(tonumber(ARGV[2]) * 2 ^ math.min(failures - 2, 32), tonumber(ARGV[3]))
  redis.call('SET', KEYS[2], failures, 'PX', math.floor(ms))
end
return 0`;

export class CodeCooldown {
  private readonly redis: Redis;
  private readonly redisPrefix: string;

  constructor(redis: Redis, redisPrefix: string) {
    this.redis = redis;
    this.redisPrefix = redisPrefix;
  }

  private keys(address: string) {
    const id = address.toLowerCase();
    return {
      failures: `${this.redisPrefix}:code:failures:${id}`,
      lock: `${this.redisPrefix}:code:lock:${id}`,
    };
  }

  /**
   * Throws `rate_limited` while the address cools down; otherwise counts this attempt as a wrong code
   * (undone by `clear` when it was right) and starts the cooldown from the second one on.
   */
  async reserve(address: string): Promise<void> {
    const keys = this.keys(address);
    const ms = Number(
      await this.redis.eval(RESERVE, 2, keys.failures, keys.lock, FAILURES_TTL_MS, BASE_MS, MAX_MS),
    );
    if (ms > 0) throw rateLimited(ms);
  }

  async clear(address: string): Promise<void> {
    const keys = this.keys(address);
    await this.redis.del(keys.failures, keys.lock);
  }
}
