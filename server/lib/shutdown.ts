// Graceful shutdown on SIGTERM/SIGINT with a hard deadline; a signal repeated later exits at once.
import type { Logger } from './logger.ts';

export function onShutdownSignal(logger: Logger, timeoutMs: number, close: () => Promise<void>): void {
  let closingSince = 0;
  const shutdown = (signal: NodeJS.Signals) => {
    if (closingSince > 0) {
      // A supervisor and a terminal often deliver the same stop twice at once; only a later one insists.
      if (Date.now() - closingSince < 2_000) return;
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    closingSince = Date.now();
    logger.info({ signal }, 'shutting down');
    const deadline = setTimeout(() => {
      logger.error({ timeoutMs }, 'shutdown deadline passed: exiting');
      process.exit(1);
    }, timeoutMs);
    deadline.unref();
    close().then(
      () => {
        logger.info('shut down cleanly');
        process.exit(0);
      },
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
}
