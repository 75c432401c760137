// How an entry point fails to start: one plain line on stderr and exit 1. The stack trace is for
// LOG_LEVEL=debug (or trace) only: an operator needs to know what to fix, not where Node was.
import type { Logger } from './logger.ts';
import { UnreachableError } from './reachability.ts';

export function failStartup(what: string, error: unknown, logger?: Logger): never {
  const line =
    error instanceof UnreachableError
      ? error.message
      : `${what} failed to start: ${error instanceof Error ? error.message : String(error)}`;
  logger?.debug({ err: error }, `${what} failed to start`);
  logger?.flush();
  process.stderr.write(`${line}\n`);
  process.exit(1);
}
