// GET /metrics: the Prometheus text exposition of this process's registry.
import { Hono } from 'hono';
import type { Registry } from 'prom-client';

export function metricsRoutes(registry: Registry): Hono {
  return new Hono().get('/metrics', async (c) =>
    c.body(await registry.metrics(), 200, { 'content-type': registry.contentType }),
  );
}
