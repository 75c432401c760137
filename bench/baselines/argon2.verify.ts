// Baseline of login: argon2id verifies in a loop with the same library (@node-rs/argon2), the same
// parameters (OWASP's 19 MiB, t=2, p=1) and the same thread pool, `BENCH_CONCURRENCY` in flight.
import { hash, verify } from '@node-rs/argon2';

const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 8);
const durationMs = Number(process.env.BENCH_DURATION_MS ?? 4_000);
const password = 'correct horse battery';

const stored = await hash(password, { memoryCost: 19_456, timeCost: 2, parallelism: 1 });
const latencies: number[] = [];
const cpuBefore = process.cpuUsage();
const started = performance.now();
let verifies = 0;
await Promise.all(
  Array.from({ length: concurrency }, async () => {
    while (performance.now() - started < durationMs) {
      const t0 = performance.now();
      if (!(await verify(stored, password))) throw new Error('verify failed');
      latencies.push(performance.now() - t0);
      verifies++;
    }
  }),
);
const seconds = (performance.now() - started) / 1000;
const cpu = process.cpuUsage(cpuBefore);
latencies.sort((a, b) => a - b);
const at = (p: number) =>
  latencies[Math.min(latencies.length - 1, Math.ceil((p / 100) * latencies.length) - 1)];
process.stdout.write(
  `${JSON.stringify({
    msg: 'done',
    verifies,
    seconds,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    p50: at(50),
    p99: at(99),
  })}\n`,
);
process.exit(0);
