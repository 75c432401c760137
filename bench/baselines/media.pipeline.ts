// Baseline of media: the worker's own image pipeline (processImage, tuned as the worker tunes sharp)
// called bare in a loop, BENCH_CONCURRENCY images at a time, on one image file: no queue, no database, no
// store. One warm-up image, then BENCH_COUNT timed; prints the figures and exits.
import { readFile } from 'node:fs/promises';
import { processImage, tuneSharpForWorkers } from '../../server/media/image-pipeline.ts';

const image = await readFile(process.env.BENCH_IMAGE ?? '');
const type = process.env.BENCH_IMAGE_TYPE ?? 'image/jpeg';
const count = Number(process.env.BENCH_COUNT ?? 10);
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 2);
const limits = { maxPixels: Number(process.env.BENCH_MAX_PIXELS ?? 40_000_000) };

tuneSharpForWorkers();
const once = async () => {
  const result = await processImage(image, type, limits);
  if (!result.ok) throw new Error(`the bench image was refused: ${result.reason}`);
};
await once();

const cpu0 = process.cpuUsage();
const t0 = performance.now();
let next = 0;
await Promise.all(
  Array.from({ length: concurrency }, async () => {
    while (next < count) {
      next++;
      await once();
    }
  }),
);
const seconds = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(cpu0);
process.stdout.write(
  `${JSON.stringify({ msg: 'done', images: count, seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6 })}\n`,
);
