// What the embedded PostgreSQL and Redis have in common: a free port, a child process whose output goes
// to a log file, a readiness wait that gives up when the child dies, and a clean stop.
import { type ChildProcess, type SpawnOptions, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';

/** A port nothing listens on right now (the OS picks it; the child binds it a moment later). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface ServiceProcess {
  child: ChildProcess;
  exited: Promise<void>;
  /** The end of the log file, for an error message. */
  logTail: () => string;
  /** Signals the child and waits for it (SIGKILL after the timeout). */
  stop: (signal: NodeJS.Signals, timeoutMs?: number) => Promise<void>;
}

export function spawnService(
  command: string,
  args: string[],
  logFile: string,
  options: Pick<SpawnOptions, 'uid' | 'gid' | 'env'> = {},
): ServiceProcess {
  const log = openSync(logFile, 'a');
  const child = spawn(command, args, {
    ...options,
    stdio: ['ignore', log, log],
    // Its own process group: a Ctrl-C in the terminal reaches `npm start`, which stops the server and the
    // workers first and this service last, instead of every process at once.
    detached: true,
  });
  closeSync(log);
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', () => resolve());
  });
  return {
    child,
    exited,
    logTail: () => {
      try {
        return readFileSync(logFile, 'utf8').trim().split('\n').slice(-5).join(' | ');
      } catch {
        return '';
      }
    },
    stop: async (signal, timeoutMs = 30_000) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Retries `probe` until it succeeds; fails at once when the service exits, or after the timeout. */
export async function waitUntilReady(
  service: ServiceProcess,
  probe: () => Promise<void>,
  what: string,
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let died = false;
  void service.exited.then(() => {
    died = true;
  });
  for (;;) {
    if (died) throw new Error(`${what} exited at start: ${service.logTail()}`);
    try {
      await probe();
      return;
    } catch (error) {
      if (Date.now() > deadline) {
        throw new Error(`${what} did not answer within ${timeoutMs / 1000} s: ${(error as Error).message}`);
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * A service that an `npm start` killed with SIGKILL left running (it has its own process group): stopped
 * before this start uses its data. Only a live process whose command line names `program` is signalled, so
 * a pid file outliving its process never hits an unrelated one.
 */
export async function stopLeftover(pidFile: string, program: string, signal: NodeJS.Signals): Promise<void> {
  const pid = Number((await readFile(pidFile, 'utf8').catch(() => '')).split('\n')[0]);
  if (!pid) return;
  const alive = () => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(program);
    } catch {
      return false;
    }
  };
  if (!alive()) return;
  process.kill(pid, signal);
  const deadline = Date.now() + 30_000;
  while (alive() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
}
