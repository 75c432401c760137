// REDIS_URL=embedded: a private redis-server for `npm start`, its data (append-only file) in $DATA_DIR/redis.
// The machine's own redis-server when there is one; otherwise redis-memory-server downloads and builds one
// on first use (it needs network access, make and a C compiler) into a cache outside the checkout.
import { randomBytes } from 'node:crypto';
import { access, constants, mkdir, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { freePort, spawnService, stopLeftover, waitUntilReady } from './child.ts';
import type { EmbeddedService } from './embedded-postgres.ts';

async function systemRedisServer(): Promise<string | undefined> {
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter), '/usr/sbin', '/usr/local/bin'];
  for (const dir of dirs.filter(Boolean)) {
    const candidate = path.join(dir, 'redis-server');
    if (
      await access(candidate, constants.X_OK).then(
        () => true,
        () => false,
      )
    )
      return candidate;
  }
  return undefined;
}

async function redisServer(say: (line: string) => void): Promise<string> {
  const system = await systemRedisServer();
  if (system) return system;
  const cacheDir = path.join(process.env.XDG_CACHE_HOME || path.join(homedir(), '.cache'), 'plaza-redis');
  say(
    `no redis-server on this machine: downloading and building Redis into ${cacheDir} ` +
      '(once; needs network access, make and a C compiler — or install redis-server, or set REDIS_URL)',
  );
  const { RedisBinary } = await import('redis-memory-server');
  return RedisBinary.getPath({ downloadDir: cacheDir });
}

export async function startEmbeddedRedis(
  dataRoot: string,
  say: (line: string) => void,
): Promise<EmbeddedService> {
  const binary = await redisServer(say);
  const dir = path.join(dataRoot, 'redis');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const pidFile = path.join(dir, 'redis.pid');
  await stopLeftover(pidFile, 'redis-server', 'SIGTERM');
  const port = await freePort();
  // A new password each start, in a file only we can read (on the command line, `ps` would show it).
  const password = randomBytes(18).toString('base64url');
  const configFile = path.join(dir, 'redis.conf');
  await writeFile(
    configFile,
    [
      `port ${port}`,
      'bind 127.0.0.1',
      `dir "${dir}"`,
      `pidfile "${pidFile}"`,
      // What Plaza needs of any Redis (README): keep what it is given.
      'appendonly yes',
      'appendfsync everysec',
      'save ""',
      'maxmemory-policy noeviction',
      `requirepass ${password}`,
      '',
    ].join('\n'),
    { mode: 0o600 },
  );
  const service = spawnService(binary, [configFile], path.join(dataRoot, 'redis.log'));
  const url = `redis://:${password}@127.0.0.1:${port}`;
  await waitUntilReady(
    service,
    async () => {
      const redis = new Redis(url, { lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
      redis.on('error', () => {});
      try {
        await redis.connect();
        await redis.ping();
      } finally {
        redis.disconnect();
      }
    },
    'the embedded Redis',
  ).catch(async (error: unknown) => {
    await service.stop('SIGKILL');
    throw error;
  });
  // SIGTERM is Redis' shutdown: the append-only file is flushed before it exits.
  return { url, stop: () => service.stop('SIGTERM') };
}
