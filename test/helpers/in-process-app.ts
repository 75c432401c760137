// The real Hono app built in the test process (no listening socket), for route tests with app.request().
import { type App, type AppDeps, createApp } from '../../server/app.ts';
import { loadConfig } from '../../server/config.ts';
import { Queues } from '../../server/jobs/queues.ts';
import { createLogger } from '../../server/lib/logger.ts';
import { closeRedis, createRedis } from '../../server/lib/redis.ts';
import { readRelayPosition } from '../../server/realtime/event-log.ts';
import type { TestContext } from './context.ts';

export interface InProcessApp {
  app: App;
  deps: AppDeps;
  close: () => Promise<void>;
}

export function createInProcessApp(
  ctx: TestContext,
  overrides: Partial<AppDeps> = {},
  env: Record<string, string> = {},
): InProcessApp {
  const redis = createRedis(ctx.redisUrl, 'commands', 'test');
  const deps: AppDeps = {
    config: loadConfig({ ...ctx.env, ...env }),
    db: ctx.db,
    redis,
    queues: new Queues(redis, ctx.redisPrefix),
    logger: createLogger('silent', 'test'),
    currentSeq: async () => (await readRelayPosition(ctx.db)).emittedSeq,
    isDraining: () => false,
    isRelayLeader: () => false,
    ...overrides,
  };
  return {
    app: createApp(deps),
    deps,
    close: async () => {
      await deps.queues.close();
      await closeRedis(redis);
    },
  };
}
