// What features are built from: one object, made once per process and passed in (no module singletons).
import type { Redis } from 'ioredis';
import { announceForgotten, type SessionCache, type SessionChange } from './auth/session-cache.ts';
import type { Config } from './config.ts';
import type { Db } from './db/database.ts';
import type { Queues } from './jobs/queues.ts';
import type { Logger } from './lib/logger.ts';

/**
 * Changes room membership of sockets on every instance (Socket.IO adapter-wide), e.g. a follow making
 * the follower's `home` sockets join the author's room at once.
 */
export interface RoomControl {
  /** Every socket in room `holders`, on any instance, joins `room`. */
  join: (holders: string, room: string) => void;
  /** Every socket in room `holders`, on any instance, leaves `room`. */
  leave: (holders: string, room: string) => void;
}

export interface Deps {
  config: Config;
  db: Db;
  /** Fail-fast command connection (rate limits, CAPTCHA replay guard, caches). */
  redis: Redis;
  queues: Queues;
  logger: Logger;
  /** Absent where no Socket.IO server runs (workers, in-process route tests): nothing to move then. */
  rooms?: RoomControl;
  /**
   * Validated sessions of the last seconds. Whoever revokes sessions or changes a user's role calls
   * `forgetSessions(deps, …)` after the commit. Absent: every request validates against the database.
   */
  sessionCache?: SessionCache;
}

/** What telling every instance to forget sessions takes (services that revoke add `db`). */
export type ForgetSessionsDeps = Pick<Deps, 'sessionCache' | 'redis' | 'config' | 'logger'>;

/**
 * After a commit that revoked sessions or changed what they say: every instance forgets its copies.
 * Announced even by a process without a cache of its own, since other instances may have one.
 */
export async function forgetSessions(deps: ForgetSessionsDeps, change: SessionChange): Promise<void> {
  if (deps.sessionCache) return deps.sessionCache.forget(change);
  await announceForgotten(deps.redis, deps.config.redisPrefix, change).catch((error: unknown) =>
    deps.logger.warn({ err: error, ...change }, 'could not tell instances to forget sessions'),
  );
}
