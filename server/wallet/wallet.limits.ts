// The per-user limit on requested transfers, shared by REST and the socket command: money moves are
// what an abuser (or a runaway client) would hammer, and each one costs a settlement.
import type { Redis } from 'ioredis';
import type { Deps } from '../deps.ts';
import { RateLimit } from '../lib/rate-limit.ts';

// One per Redis connection (i.e. per process), however many routers and sockets ask for it.
const cache = new WeakMap<Redis, RateLimit>();

export function transferLimit(deps: Pick<Deps, 'redis' | 'config'>): RateLimit {
  let limit = cache.get(deps.redis);
  if (!limit) {
    const { redisPrefix, transfersPerMinute } = deps.config;
    limit = new RateLimit(deps.redis, redisPrefix, 'transfers', {
      points: transfersPerMinute,
      durationSec: 60,
    });
    cache.set(deps.redis, limit);
  }
  return limit;
}
