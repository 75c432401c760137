// Structured JSON logs (pino). One root logger per process, children per request or component.
import { type Logger, pino } from 'pino';

export type { Logger };

export function createLogger(level: string, name: string): Logger {
  // Asynchronous writes: a line per request must not cost a blocking write(2) each. Lines logged while a
  // write is in flight go out together; pino flushes what is buffered when the process exits.
  const destination = pino.destination({ sync: false });
  return pino(
    {
      level,
      base: { name, pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: {
        paths: ['req.headers.cookie', 'req.headers.authorization', '*.password', '*.token'],
        remove: true,
      },
    },
    destination,
  );
}
