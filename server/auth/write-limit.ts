// The per-user write limiter later features share (posts, comments, likes, transfers…): one budget per user.
import type { Redis } from 'ioredis';
import { RateLimit } from '../lib/rate-limit.ts';
import type { Actor } from './actor.ts';

/** Generous for a person, tight for a script: 120 writes a minute. */
export const USER_WRITES_PER_MINUTE = 120;

export class UserWriteLimit {
  private readonly limit: RateLimit;

  constructor(redis: Redis, redisPrefix: string, pointsPerMinute = USER_WRITES_PER_MINUTE) {
    this.limit = new RateLimit(redis, redisPrefix, 'user-writes', {
      points: pointsPerMinute,
      durationSec: 60,
    });
  }

  /** Counts one write of the actor; throws `rate_limited` past the budget. */
  consume(actor: Actor, points = 1): Promise<void> {
    return this.limit.consume(actor.userId, points);
  }
}
