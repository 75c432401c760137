// Liveness and readiness for load balancers and orchestrators.
import { Hono } from 'hono';
import type { Redis } from 'ioredis';
import { sql } from 'kysely';
import type { Db } from '../db/database.ts';
import { renderError } from '../http/errors.ts';
import { AppError } from '../lib/errors.ts';
import { within } from '../lib/timeout.ts';

export interface HealthDeps {
  db: Db;
  redis: Redis;
  isDraining: () => boolean;
  isRelayLeader: () => boolean;
}

const CHECK_TIMEOUT_MS = 1_500;
const RECONNECTING = new Set(['reconnecting', 'close', 'end']);

async function answers(check: () => Promise<unknown>): Promise<boolean> {
  try {
    await within(check(), CHECK_TIMEOUT_MS);
    return true;
  } catch {
    return false;
  }
}

export function healthRoutes(deps: HealthDeps): Hono {
  return new Hono()
    .get('/health', (c) => c.json({ status: 'ok', relayLeader: deps.isRelayLeader() }))
    .get('/ready', async (c) => {
      if (deps.isDraining()) {
        return renderError(c, new AppError('unavailable', 'Shutting down', { draining: true }));
      }
      const [postgres, redis] = await Promise.all([
        answers(() => sql`select 1`.execute(deps.db)),
        // While reconnecting, a PING would only wait in the offline queue: Redis is down, say so at once.
        answers(() =>
          RECONNECTING.has(deps.redis.status) ? Promise.reject(new Error('down')) : deps.redis.ping(),
        ),
      ]);
      if (postgres && redis) return c.json({ status: 'ready' });
      const down = [!postgres && 'PostgreSQL', !redis && 'Redis'].filter(Boolean).join(' and ');
      return renderError(
        c,
        new AppError('unavailable', `${down} not answering`, {
          postgres: postgres ? 'up' : 'down',
          redis: redis ? 'up' : 'down',
        }),
      );
    });
}
