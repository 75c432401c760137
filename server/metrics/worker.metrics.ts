// The workers process's Prometheus registry: job durations and failures per queue, plus Node's own.
import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client';

export type JobOutcome = 'completed' | 'failed';

export interface WorkerMetrics {
  readonly registry: Registry;
  observeJob: (queue: string, outcome: JobOutcome, seconds: number) => void;
  /** A failed attempt (BullMQ's `failed` event): retried or final. */
  jobFailed: (queue: string, final: boolean) => void;
}

const JOB_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

export function createWorkerMetrics(): WorkerMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const duration = new Histogram({
    name: 'plaza_job_duration_seconds',
    help: 'Job processing time per queue and outcome',
    labelNames: ['queue', 'outcome'] as const,
    buckets: JOB_BUCKETS,
    registers: [registry],
  });
  const failures = new Counter({
    name: 'plaza_jobs_failed_total',
    help: 'Failed job attempts per queue; final="true" when no retry is left',
    labelNames: ['queue', 'final'] as const,
    registers: [registry],
  });
  return {
    registry,
    observeJob: (queue, outcome, seconds) => duration.observe({ queue, outcome }, seconds),
    jobFailed: (queue, final) => failures.inc({ queue, final: String(final) }),
  };
}
