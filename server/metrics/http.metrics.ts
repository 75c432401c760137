// Times every HTTP request under its route pattern (`/api/v1/posts/:id`), never the raw path, so
// the series stay few whatever ids clients send.
import type { Context, MiddlewareHandler } from 'hono';
import { matchedRoutes, routePath } from 'hono/route';
import type { ServerMetrics } from './server.metrics.ts';

const UNMATCHED = 'unmatched';

/** The endpoint that matched; middleware (method ALL) only counts when nothing more specific did. */
export function routeLabel(c: Context): string {
  const endpoint = matchedRoutes(c).findLast((route) => route.method !== 'ALL');
  if (endpoint) return endpoint.path;
  if (c.res.status === 404) return UNMATCHED;
  return routePath(c) || UNMATCHED;
}

export function httpMetrics(metrics: ServerMetrics): MiddlewareHandler {
  return async (c, next) => {
    const started = performance.now();
    try {
      await next();
    } finally {
      metrics.observeRequest(c.req.method, routeLabel(c), c.res.status, (performance.now() - started) / 1000);
    }
  };
}
