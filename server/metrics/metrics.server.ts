// A tiny HTTP endpoint for processes without the web stack (workers): GET /metrics and GET /health.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import type { Logger } from '../lib/logger.ts';

export interface MetricsEndpoint {
  port: number;
  close: () => Promise<void>;
}

/**
 * Listens on host:port (0 = any free port). A port already taken is logged, not fatal: jobs matter
 * more than their metrics, and a second workers process on one host should still run.
 */
export async function serveMetrics(
  registry: Registry,
  options: { host: string; port: number; logger: Logger },
): Promise<MetricsEndpoint | null> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'GET' && path === '/metrics') {
      registry.metrics().then(
        (text) => {
          res.writeHead(200, { 'content-type': registry.contentType });
          res.end(text);
        },
        (error: unknown) => {
          options.logger.warn({ err: error }, 'metrics collection failed');
          res.writeHead(500).end();
        },
      );
      return;
    }
    if (req.method === 'GET' && path === '/health') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"status":"ok"}');
      return;
    }
    res.writeHead(404).end();
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port, options.host, () => resolve());
    });
  } catch (error) {
    options.logger.warn({ err: error, port: options.port }, 'metrics endpoint not started');
    return null;
  }
  const port = (server.address() as AddressInfo).port;
  options.logger.info({ port, host: options.host }, 'metrics listening');
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
