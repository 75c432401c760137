// What features are built from: one object, made once per process and passed in (no module singletons).
import type { Redis } from 'ioredis';
import type { Config } from './config.ts';
import type { Db } from './db/database.ts';
import type { Queues } from './jobs/queues.ts';
import type { Logger } from './lib/logger.ts';

export interface Deps {
  config: Config;
  db: Db;
  /** Fail-fast command connection (rate limits, CAPTCHA replay guard, caches). */
  redis: Redis;
  queues: Queues;
  logger: Logger;
}
