// The server process's Prometheus registry: HTTP, sockets, relay and queue series, plus Node's own
// (event-loop lag, heap, GC, CPU). One registry per process, created in instance.ts.
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { queueDepths } from '../jobs/queue-depths.ts';
import type { Queues } from '../jobs/queues.ts';

export interface ServerMetricsSources {
  queues: Queues;
  /** Sockets connected to this instance (Prometheus sums the instances). */
  localSockets?: () => number;
  isRelayLeader?: () => boolean;
}

export interface ServerMetrics {
  readonly registry: Registry;
  observeRequest: (method: string, route: string, status: number, seconds: number) => void;
  pushEmitted: (type: string) => void;
  /** One relay batch: its size and the age of its oldest row when emitted. */
  relayBatch: (rows: number, lagMs: number) => void;
}

// Interactive requests are fast; the long tail matters for alerts, not the fine middle.
const HTTP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const LAG_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
const ROW_BUCKETS = [1, 2, 5, 10, 25, 50, 100, 250, 500];

export function createServerMetrics(sources: ServerMetricsSources): ServerMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });

  const httpDuration = new Histogram({
    name: 'plaza_http_request_duration_seconds',
    help: 'HTTP request durations by method, route pattern and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: HTTP_BUCKETS,
    registers: [registry],
  });

  const { localSockets, isRelayLeader, queues } = sources;
  new Gauge({
    name: 'plaza_socket_connections',
    help: 'Socket.IO connections on this instance',
    registers: [registry],
    collect() {
      this.set(localSockets?.() ?? 0);
    },
  });

  const pushes = new Counter({
    name: 'plaza_pushes_emitted_total',
    help: 'Live pushes emitted by the relay (only the leading instance emits), by type',
    labelNames: ['type'] as const,
    registers: [registry],
  });
  const relayLag = new Histogram({
    name: 'plaza_relay_lag_seconds',
    help: 'Time from an event committed (created_at) to its emission, oldest row of each batch',
    buckets: LAG_BUCKETS,
    registers: [registry],
  });
  const relayRows = new Histogram({
    name: 'plaza_relay_batch_rows',
    help: 'Event-log rows emitted per relay batch',
    buckets: ROW_BUCKETS,
    registers: [registry],
  });
  new Gauge({
    name: 'plaza_relay_leader',
    help: '1 while this instance leads the relay',
    registers: [registry],
    collect() {
      this.set(isRelayLeader?.() ? 1 : 0);
    },
  });

  new Gauge({
    name: 'plaza_queue_jobs',
    help: 'BullMQ jobs per queue and state, read on scrape (every instance reports the same numbers: use max)',
    labelNames: ['queue', 'state'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      // Redis down: no series this scrape (the absence alerts), rather than a failed scrape.
      const depths = await queueDepths(queues).catch(() => null);
      for (const [queue, depth] of Object.entries(depths ?? {})) {
        for (const [state, count] of Object.entries(depth)) this.set({ queue, state }, count);
      }
    },
  });

  return {
    registry,
    observeRequest: (method, route, status, seconds) =>
      httpDuration.observe({ method, route, status: String(status) }, seconds),
    pushEmitted: (type) => pushes.inc({ type }),
    relayBatch: (rows, lagMs) => {
      relayRows.observe(rows);
      relayLag.observe(Math.max(0, lagMs) / 1000);
    },
  };
}
