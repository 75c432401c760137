// `npm start`: for a single machine — migrate, then one server instance and the workers as child processes.
// In production run `npm run migrate` once per release, and servers and workers as separate deployments.
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfigOrExit } from './config.ts';
import { migrateToLatest } from './db/migrate.ts';
import { createLogger } from './lib/logger.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const config = loadConfigOrExit();
const logger = createLogger(config.logLevel, 'start');

try {
  const { applied } = await migrateToLatest(config.databaseUrl);
  logger.info({ applied }, 'database migrated');
} catch (error) {
  logger.fatal({ err: error }, 'migration failed');
  process.exit(1);
}

const children = new Map<string, ChildProcess>();
let stopping = false;

function run(name: string, entry: string): void {
  const child = spawn(
    process.execPath,
    ['--conditions=plaza-source', '--import', 'tsx', path.join(root, entry)],
    {
      cwd: root,
      stdio: 'inherit',
      env: process.env,
    },
  );
  children.set(name, child);
  child.on('exit', (code, signal) => {
    children.delete(name);
    if (!stopping) {
      // One part gone means the whole is broken: stop the rest and let the supervisor restart us.
      logger.error({ process: name, code, signal }, 'child process exited; stopping');
      stop('SIGTERM', 1);
    } else if (children.size === 0) {
      process.exit(process.exitCode ?? 0);
    }
  });
}

function stop(signal: NodeJS.Signals, exitCode = 0): void {
  if (stopping) return;
  stopping = true;
  process.exitCode = exitCode;
  for (const child of children.values()) child.kill(signal);
  if (children.size === 0) process.exit(exitCode);
}

process.on('SIGTERM', () => stop('SIGTERM'));
process.on('SIGINT', () => stop('SIGTERM'));

run('server', 'server/main.ts');
run('workers', 'workers/main.ts');
