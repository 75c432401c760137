// `npm run server`: one Plaza server instance, shut down gracefully on SIGTERM/SIGINT.
import { loadConfigOrExit } from './config.ts';
import { startInstance } from './instance.ts';
import { createLogger } from './lib/logger.ts';
import { onShutdownSignal } from './lib/shutdown.ts';

const config = loadConfigOrExit();
const logger = createLogger(config.logLevel, 'server');

process.on('unhandledRejection', (reason) => logger.error({ err: reason }, 'unhandled rejection'));

try {
  const instance = await startInstance(config, logger);
  onShutdownSignal(logger, config.shutdownTimeoutMs, instance.close);
} catch (error) {
  logger.fatal({ err: error }, 'server failed to start');
  process.exit(1);
}
