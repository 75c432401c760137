// Media: images processed per second by the real `media` worker (row → original from the store → sniff,
// pixel check, orient, strip, five WebP variants, BlurHash → variants stored, row ready + push in one
// transaction, original deleted), against the same pipeline (processImage) called bare in a loop at the
// worker's concurrency. Both arms process the same generated 1600×1200 JPEG. Second line: `POST /media`
// (row + presigned upload URL) per second against a bare Hono + INSERT + HMAC.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { sql } from 'kysely';
import { Queues } from '../server/jobs/queues.ts';
import { newId } from '../server/lib/ids.ts';
import { LocalStore } from '../server/media/local-store.ts';
import { enqueueProcessing } from '../server/media/media.service.ts';
import { newMediaToken, originalKey } from '../server/media/media.store.ts';
import { photoJpeg } from '../test/media/images.ts';
import { MEDIA_CONCURRENCY } from '../workers/media.ts';
import { CpuMeter } from './harness/cpu.ts';
import { createUsers } from './harness/fixtures.ts';
import { okPerSecond, runAutocannon } from './harness/http.ts';
import { type BenchDatabase, createBenchDatabase, dropBenchDatabase } from './harness/infra.ts';
import { size } from './harness/options.ts';
import {
  type BenchProcess,
  spawnEntry,
  startBaseline,
  startPlazaServer,
  startPlazaWorkers,
} from './harness/processes.ts';
import { type ArmRound, progress, type ScenarioResult, summarize } from './harness/report.ts';
import { alternate, type Scenario, type ScenarioContext, sleep } from './harness/scenario.ts';

const TARGET = 'images/s ≥ 0.8';
const PRESIGN_TARGET = 'req/s (no target; baseline = bare Hono + INSERT + HMAC)';
const WIDTH = 1600;
const HEIGHT = 1200;

/** One app round: `count` uploads completed while the queue is paused, then timed until all are ready. */
async function measureWorker(
  database: BenchDatabase,
  queues: Queues,
  queue: Queue,
  store: LocalStore,
  worker: BenchProcess,
  ownerId: string,
  image: Buffer,
  count: number,
): Promise<ArmRound> {
  await queue.pause();
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const id = newId();
    const key = newMediaToken();
    await store.put(originalKey(key), image, 'image/jpeg');
    await database.db
      .insertInto('media')
      .values({
        id,
        owner_id: ownerId,
        status: 'processing',
        content_type: 'image/jpeg',
        bytes: image.length,
        key,
        completed_at: new Date(),
      })
      .execute();
    ids.push(id);
  }
  // Enqueued as `POST /media/:id/complete` does (same job id and options).
  for (const id of ids) await enqueueProcessing({ queues }, id);
  const settled = async () => {
    const { rows } = await sql<{ ready: number; failed: number }>`
      select count(*) filter (where status = 'ready')::int as ready,
        count(*) filter (where status = 'failed')::int as failed
      from media where id = any(${ids}::uuid[])`.execute(database.db);
    return rows[0]!;
  };
  const cpu = new CpuMeter(() => [worker.pid], database.name);
  cpu.start();
  const t0 = performance.now();
  await queue.resume();
  let state = await settled();
  while (state.ready + state.failed < count) {
    if (performance.now() - t0 > 120_000)
      throw new Error(`media: ${count - state.ready} images not ready in 2 min`);
    await sleep(20);
    state = await settled();
  }
  const seconds = (performance.now() - t0) / 1000;
  const used = cpu.stop();
  if (state.failed > 0) throw new Error(`media: ${state.failed} of ${count} images failed`);
  return {
    value: count / seconds,
    cpuPerOp: used.server / count,
    dbCpuPerOp: used.database === null ? null : used.database / count,
    extra: { images: count },
  };
}

/** One baseline round: a fresh process runs processImage in a loop (one warm-up image, then `count` timed). */
async function measureBare(imageFile: string, count: number): Promise<ArmRound> {
  const bare = spawnEntry('base-media-pipeline', 'bench/baselines/media.pipeline.ts', {
    BENCH_IMAGE: imageFile,
    BENCH_COUNT: String(count),
    BENCH_CONCURRENCY: String(MEDIA_CONCURRENCY),
  });
  try {
    const done = (await bare.waitReady(['done'], 180_000)) as { seconds: number; cpuSeconds: number };
    return { value: count / done.seconds, cpuPerOp: done.cpuSeconds / count, extra: { images: count } };
  } finally {
    await bare.stop();
  }
}

async function measurePresign(
  server: BenchProcess,
  url: string,
  token: string | undefined,
  database: string,
  connections: number,
  durationS: number,
): Promise<ArmRound> {
  const cpu = new CpuMeter(() => [server.pid], database);
  cpu.start();
  const result = await runAutocannon({
    url,
    method: 'POST',
    connections,
    duration: durationS,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ contentType: 'image/jpeg', bytes: 250_000 }),
  });
  const used = cpu.stop();
  const ok = result['2xx'];
  return {
    value: okPerSecond(result),
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    cpuPerOp: ok > 0 ? used.server / ok : null,
    dbCpuPerOp: ok > 0 && used.database !== null ? used.database / ok : null,
    extra: { non2xx: result.non2xx, errors: result.errors },
  };
}

/** Wall-clock ms per image (the median round): images/s alone prints too coarsely at a few per second. */
const msPerImage = (rounds: ArmRound[]): number | null => {
  const values = rounds.map((r) => 1000 / r.value).sort((a, b) => a - b);
  return values.length > 0 ? Math.round(values[Math.floor(values.length / 2)]!) : null;
};

async function run(ctx: ScenarioContext): Promise<ScenarioResult[]> {
  const { options, run } = ctx;
  const images = size(options, 16, 2);
  const connections = size(options, 20, 4);
  const durationS = size(options, 5, 1);
  const mediaDir = await mkdtemp(path.join(tmpdir(), 'plaza-bench-media-'));
  const database = await createBenchDatabase(run, 'media', {
    MEDIA_DIR: mediaDir,
    // The per-user upload limit is not what is measured.
    MEDIA_UPLOADS_PER_HOUR: '1000000',
  });
  const processes: BenchProcess[] = [];
  const redis = new Redis(run.redisUrl, { maxRetriesPerRequest: null });
  const queues = new Queues(redis, database.redisPrefix);
  // Only get/put: the signing secret is irrelevant here.
  const store = new LocalStore({
    dir: mediaDir,
    secret: 'bench',
    origin: new URL('http://127.0.0.1:3000'),
    publicBase: 'http://127.0.0.1:3000/',
  });
  try {
    progress('media: image, users and processes');
    const image = await photoJpeg(WIDTH, HEIGHT, 7);
    const imageFile = path.join(mediaDir, 'bench.jpg');
    await writeFile(imageFile, image);
    const [owner] = await createUsers(database.db, 1);
    const [workers, server, base] = await Promise.all([
      startPlazaWorkers(database.env, ['media']),
      startPlazaServer(database.env, 'app-server'),
      startBaseline('base-media-presign', 'bench/baselines/media-presign.server.ts', {
        DATABASE_URL: database.url,
        BENCH_OWNER_ID: owner!.id,
      }),
    ]);
    processes.push(workers, server, base);
    const queue = queues.get('media') as unknown as Queue;

    const check = await fetch(`${server.url}/api/v1/media`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${owner!.token}` },
      body: JSON.stringify({ contentType: 'image/jpeg', bytes: 250_000 }),
    });
    if (check.status !== 201)
      throw new Error(`POST /api/v1/media answered ${check.status}: ${await check.text()}`);

    // Warm-up, untimed (the bare arm warms up too): the worker's first image loads libvips' codecs.
    await measureWorker(database, queues, queue, store, workers, owner!.id, image, 1);
    const processed = await alternate(
      'media',
      options.rounds,
      () => measureWorker(database, queues, queue, store, workers, owner!.id, image, images),
      () => measureBare(imageFile, images),
    );
    const presigned = await alternate(
      'media-presign',
      options.rounds,
      () =>
        measurePresign(
          server,
          `${server.url}/api/v1/media`,
          owner!.token,
          database.name,
          connections,
          durationS,
        ),
      () => measurePresign(base, `${base.url}/media`, undefined, database.name, connections, durationS),
    );
    return [
      summarize('media', 'images/s', TARGET, processed, {
        concurrency: MEDIA_CONCURRENCY,
        'ms/image app': msPerImage(processed.app),
        base: msPerImage(processed.baseline),
        image: `${WIDTH}x${HEIGHT} JPEG ${Math.round(image.length / 1024)} KiB`,
      }),
      summarize('media-presign', 'req/s', PRESIGN_TARGET, presigned, { connections }),
    ];
  } finally {
    await Promise.all(processes.map((p) => p.stop()));
    await queues.close();
    redis.disconnect();
    await dropBenchDatabase(run, database);
    await rm(mediaDir, { recursive: true, force: true });
  }
}

export const media: Scenario = { name: 'media', run };
