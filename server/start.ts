// `npm start`: for a single machine — build what is stale, PostgreSQL and Redis (yours, or embedded ones
// under DATA_DIR), migrate, then one server instance and the workers as child processes.
// In production run `npm run migrate` once per release, and servers and workers as separate deployments.
import { type ChildProcess, spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ensureBuilt } from '../build/freshness.ts';
import { loadConfigOrExit } from './config.ts';
import { migrateToLatest } from './db/migrate.ts';
import { type Services, startServices } from './embedded/services.ts';
import { createLogger } from './lib/logger.ts';
import { failStartup } from './lib/startup.ts';

const root = path.resolve(import.meta.dirname, '..');
const config = loadConfigOrExit({ allowEmbedded: true });
const logger = createLogger(config.logLevel, 'start');
const say = (line: string) => logger.info(line);

const children = new Map<string, ChildProcess>();
let services: Services | null = null;
let stopping = false;
/** A signal during start-up is acted on when the step in progress ends (services half started stop too). */
let startingUp = true;

/** Last out: the embedded services stop once nothing uses them. */
async function exit(code: number): Promise<never> {
  await services?.stop().catch((error: unknown) => logger.error({ err: error }, 'stopping services failed'));
  logger.flush();
  process.exit(code);
}

function stop(signal: NodeJS.Signals, exitCode = 0): void {
  if (stopping) return;
  stopping = true;
  process.exitCode = exitCode;
  for (const child of children.values()) child.kill(signal);
  if (children.size === 0 && !startingUp) void exit(exitCode);
}

process.on('SIGTERM', () => stop('SIGTERM'));
process.on('SIGINT', () => stop('SIGTERM'));

try {
  await ensureBuilt(say);
  if (!stopping) services = await startServices(config, say);
  if (!stopping && services) {
    const { applied } = await migrateToLatest(services.databaseUrl);
    logger.info({ applied }, 'database migrated');
  }
} catch (error) {
  await services?.stop();
  failStartup('npm start', error, logger);
}
startingUp = false;

function run(name: string, entry: string, env: NodeJS.ProcessEnv): void {
  // Node runs the TypeScript itself (type stripping); `plaza-source` resolves the workspace SDK to its source.
  const child = spawn(process.execPath, ['--conditions=plaza-source', path.join(root, entry)], {
    cwd: root,
    stdio: 'inherit',
    env,
  });
  children.set(name, child);
  child.on('exit', (code, signal) => {
    children.delete(name);
    if (!stopping) {
      // One part gone means the whole is broken: stop the rest and let the supervisor restart us.
      logger.error({ process: name, code, signal }, 'child process exited; stopping');
      stop('SIGTERM', 1);
    } else if (children.size === 0) {
      void exit(Number(process.exitCode ?? 0));
    }
  });
}

if (stopping || !services) {
  await exit(Number(process.exitCode ?? 0));
} else {
  const env = {
    // Node's on-disk cache of compiled (and type-stripped) modules: a restart skips both (~0.3 s, ~20 MB).
    NODE_COMPILE_CACHE: path.join(tmpdir(), 'node-compile-cache'),
    ...process.env,
    DATABASE_URL: services.databaseUrl,
    REDIS_URL: services.redisUrl,
  };
  run('server', 'server/main.ts', env);
  run('workers', 'workers/main.ts', env);
}
