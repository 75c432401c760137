// One access-log line per request, carrying the request id that X-Request-Id brought or we made.
import type { MiddlewareHandler } from 'hono';
import type { Logger } from '../lib/logger.ts';

export function requestLog(logger: Logger): MiddlewareHandler {
  return async (c, next) => {
    const started = performance.now();
    await next();
    const ms = Math.round((performance.now() - started) * 10) / 10;
    const status = c.res.status;
    const line = { reqId: c.get('requestId'), method: c.req.method, path: c.req.path, status, ms };
    if (status >= 500) logger.warn(line, 'request');
    else logger.info(line, 'request');
  };
}
