// `npm run server`: one Plaza server instance, shut down gracefully on SIGTERM/SIGINT.
import { ensureBuilt } from '../build/freshness.ts';
import { loadConfigOrExit } from './config.ts';
import { createLogger } from './lib/logger.ts';
import { checkPostgres, checkRedis } from './lib/reachability.ts';
import { onShutdownSignal } from './lib/shutdown.ts';
import { failStartup } from './lib/startup.ts';

const config = loadConfigOrExit();
const logger = createLogger(config.logLevel, 'server');

process.on('unhandledRejection', (reason) => logger.error({ err: reason }, 'unhandled rejection'));

try {
  await ensureBuilt((line) => logger.info(line));
  await Promise.all([checkPostgres(config.databaseUrl), checkRedis(config.redisUrl)]);
  // Loaded after the build check: the instance imports the built pages (`#server-pages`).
  const { startInstance } = await import('./instance.ts');
  const instance = await startInstance(config, logger);
  onShutdownSignal(logger, config.shutdownTimeoutMs, instance.close);
} catch (error) {
  failStartup('server', error, logger);
}
