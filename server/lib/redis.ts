// ioredis connections with the options each role needs.
import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from './logger.ts';

/**
 * `commands`: fail fast (a request should get 503, not hang) — bounded retries per request.
 * `blocking`: what BullMQ workers and pub/sub subscribers need — never give up a command.
 * `publisher`: never gives up either, and pipelines what is published in one turn of the event loop.
 */
export function createRedis(
  url: string,
  role: 'commands' | 'blocking' | 'publisher',
  name: string,
  logger?: Logger,
): Redis {
  const options: RedisOptions = {
    connectionName: name,
    lazyConnect: false,
    // A publisher never gives up a message either, but the pushes of one relay batch (emitted in one
    // turn of the event loop) go out in one write.
    enableAutoPipelining: role !== 'blocking',
    maxRetriesPerRequest: role === 'commands' ? 2 : null,
    retryStrategy: (times) => Math.min(50 * 2 ** times, 2_000),
    connectTimeout: 5_000,
  };
  const redis = new Redis(url, options);
  // An unhandled 'error' event would crash the process; log it, at most every 5 s per connection.
  let lastLogged = 0;
  redis.on('error', (error: Error) => {
    const now = Date.now();
    if (now - lastLogged < 5_000) return;
    lastLogged = now;
    logger?.warn({ err: error, connection: name }, 'redis connection error');
  });
  return redis;
}

/** QUIT politely, or disconnect if the server is gone. */
export async function closeRedis(redis: Redis): Promise<void> {
  if (redis.status === 'end') return;
  try {
    await Promise.race([redis.quit(), new Promise((_, reject) => setTimeout(reject, 1_000))]);
  } catch {
    redis.disconnect();
  }
}
