// What features are built from: one object, made once per process and passed in (no module singletons).
import type { Redis } from 'ioredis';
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
}
