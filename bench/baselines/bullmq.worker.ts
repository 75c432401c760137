// Baseline of reminders (was jobs): a bare BullMQ worker with a no-op processor, at the reminders worker's concurrency.
import { Worker } from 'bullmq';
import { Redis } from 'ioredis';

const connection = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', {
  maxRetriesPerRequest: null,
});
const worker = new Worker(process.env.BENCH_QUEUE ?? 'noop', async () => {}, {
  connection,
  prefix: process.env.BENCH_PREFIX ?? 'plaza-bench',
  concurrency: Number(process.env.BENCH_CONCURRENCY ?? 10),
});
worker.on('error', () => {});
await worker.waitUntilReady();
process.stdout.write(`${JSON.stringify({ msg: 'ready', pid: process.pid })}\n`);

process.on('SIGTERM', () => {
  void worker.close().finally(() => {
    connection.disconnect();
    process.exit(0);
  });
});
