// Per-user write limits of the feed (posts, comments, likes), shared by REST and socket commands.
import type { Redis } from 'ioredis';
import type { Deps } from '../deps.ts';
import { RateLimit } from '../lib/rate-limit.ts';

export interface FeedWriteLimits {
  posts: RateLimit;
  comments: RateLimit;
  /** Likes and unlikes together. */
  likes: RateLimit;
}

// One set per Redis connection (i.e. per process), however many routers and sockets ask for it.
const cache = new WeakMap<Redis, FeedWriteLimits>();

export function feedWriteLimits(deps: Pick<Deps, 'redis' | 'config'>): FeedWriteLimits {
  let limits = cache.get(deps.redis);
  if (!limits) {
    const { redisPrefix, postsPerMinute, commentsPerMinute, likesPerMinute } = deps.config;
    const perMinute = (points: number) => ({ points, durationSec: 60 });
    limits = {
      posts: new RateLimit(deps.redis, redisPrefix, 'posts', perMinute(postsPerMinute)),
      comments: new RateLimit(deps.redis, redisPrefix, 'comments', perMinute(commentsPerMinute)),
      likes: new RateLimit(deps.redis, redisPrefix, 'likes', perMinute(likesPerMinute)),
    };
    cache.set(deps.redis, limits);
  }
  return limits;
}
