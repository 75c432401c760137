// While `npm start` runs embedded services, their URLs (with their passwords: the file is the owner's
// only) are in $DATA_DIR/running.json, so that `npm run cli` can reach the same PostgreSQL and Redis.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Config } from '../config.ts';

interface Running {
  databaseUrl?: string;
  redisUrl?: string;
}

const fileIn = (dataDir: string) => path.join(dataDir, 'running.json');

export function recordRunning(dataDir: string, running: Running): void {
  writeFileSync(fileIn(dataDir), `${JSON.stringify(running)}\n`, { mode: 0o600 });
}

export function forgetRunning(dataDir: string): void {
  rmSync(fileIn(dataDir), { force: true });
}

/** The config with the running embedded services' URLs in place of `embedded`; throws when none runs. */
export function withRunningServices(config: Config): Config {
  if (config.databaseSource !== 'embedded' && config.redisSource !== 'embedded') return config;
  let running: Running;
  try {
    running = JSON.parse(readFileSync(fileIn(config.dataDir), 'utf8')) as Running;
  } catch {
    throw new Error(`no embedded services run from ${config.dataDir}: start them with \`npm start\` first`);
  }
  const databaseUrl = config.databaseSource === 'embedded' ? running.databaseUrl : config.databaseUrl;
  const redisUrl = config.redisSource === 'embedded' ? running.redisUrl : config.redisUrl;
  if (!databaseUrl || !redisUrl) {
    throw new Error(`the \`npm start\` running from ${config.dataDir} uses no embedded service of that kind`);
  }
  return Object.freeze({ ...config, databaseUrl, redisUrl });
}
