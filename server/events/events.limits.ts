// Per-user write limits of events, shared by REST and the socket commands: each join of a paid event
// records a transfer (and log, notification and settlement work), so join/leave loops are bounded here,
// and a paid join also counts against the transfer limit (wallet.limits.ts).
import type { Redis } from 'ioredis';
import type { Deps } from '../deps.ts';
import { RateLimit } from '../lib/rate-limit.ts';

export interface EventWriteLimits {
  /** Joins and leaves together. */
  joins: RateLimit;
  creations: RateLimit;
}

// One set per Redis connection (i.e. per process), however many routers and sockets ask for it.
const cache = new WeakMap<Redis, EventWriteLimits>();

export function eventWriteLimits(deps: Pick<Deps, 'redis' | 'config'>): EventWriteLimits {
  let limits = cache.get(deps.redis);
  if (!limits) {
    const { redisPrefix, eventJoinsPerMinute, eventsPerHour } = deps.config;
    limits = {
      joins: new RateLimit(deps.redis, redisPrefix, 'event-joins', {
        points: eventJoinsPerMinute,
        durationSec: 60,
      }),
      creations: new RateLimit(deps.redis, redisPrefix, 'event-creations', {
        points: eventsPerHour,
        durationSec: 3_600,
      }),
    };
    cache.set(deps.redis, limits);
  }
  return limits;
}
