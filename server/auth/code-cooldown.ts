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

export class CodeCooldown {
  constructor(
    private readonly redis: Redis,
    private readonly redisPrefix: string,
  ) {}

  private keys(address: string) {
    const id = address.toLowerCase();
    return {
      failures: `${this.redisPrefix}:code:failures:${id}`,
      lock: `${this.redisPrefix}:code:lock:${id}`,
    };
  }

  /** Throws `rate_limited` while the address cools down. */
  async check(address: string): Promise<void> {
    const ms = await this.redis.pttl(this.keys(address).lock);
    if (ms > 0) throw rateLimited(ms);
  }

  /** Counts a wrong code and starts the cooldown from the second one on. */
  async recordFailure(address: string): Promise<void> {
    const keys = this.keys(address);
    const result = await this.redis
      .multi()
      .incr(keys.failures)
      .pexpire(keys.failures, FAILURES_TTL_MS)
      .exec();
    const failures = Number(result?.[0]?.[1] ?? 0);
    const ms = cooldownMs(failures);
    if (ms > 0) await this.redis.set(keys.lock, String(failures), 'PX', ms);
  }

  async clear(address: string): Promise<void> {
    const keys = this.keys(address);
    await this.redis.del(keys.failures, keys.lock);
  }
}
