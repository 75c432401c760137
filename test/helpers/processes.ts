// Real Plaza processes for tests: server instances and workers, spawned with a test context's environment.
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const outputDir = path.join(root, 'test-output', 'logs');

export type LogLine = Record<string, unknown> & { msg?: string };

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export class PlazaProcess {
  readonly logs: LogLine[] = [];
  readonly exited: Promise<Exit>;
  private readonly waiters = new Set<{
    match: (line: LogLine) => boolean;
    resolve: (line: LogLine) => void;
  }>();
  stderr = '';
  port = 0;
  exit: Exit | null = null;

  readonly name: string;
  readonly child: ChildProcess;

  constructor(name: string, child: ChildProcess) {
    this.name = name;
    this.child = child;
    mkdirSync(outputDir, { recursive: true });
    const file = createWriteStream(path.join(outputDir, `${name}-${child.pid}.log`));
    createInterface({ input: child.stdout! }).on('line', (text) => {
      file.write(`${text}\n`);
      let line: LogLine;
      try {
        line = JSON.parse(text) as LogLine;
      } catch {
        line = { raw: text };
      }
      this.logs.push(line);
      for (const waiter of this.waiters) {
        if (waiter.match(line)) {
          this.waiters.delete(waiter);
          waiter.resolve(line);
        }
      }
    });
    child.stderr!.on('data', (chunk: Buffer) => {
      this.stderr += chunk.toString();
      file.write(chunk);
    });
    this.exited = new Promise((resolve) => {
      child.on('exit', (code, signal) => {
        this.exit = { code, signal };
        running.delete(this);
        resolve(this.exit);
      });
    });
    running.add(this);
  }

  get pid(): number {
    return this.child.pid!;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** The first log line (already seen or still to come) that matches. */
  waitForLog(match: (line: LogLine) => boolean, timeoutMs = 20_000): Promise<LogLine> {
    const seen = this.logs.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const waiter = { match, resolve };
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(new Error(`${this.name}: no matching log line within ${timeoutMs} ms\n${this.stderr}`));
      }, timeoutMs);
      waiter.resolve = (line) => {
        clearTimeout(timer);
        resolve(line);
      };
      this.waiters.add(waiter);
      void this.exited.then((exit) => {
        if (!this.waiters.has(waiter)) return;
        this.waiters.delete(waiter);
        clearTimeout(timer);
        reject(
          new Error(`${this.name} exited (${JSON.stringify(exit)}) before the log line\n${this.stderr}`),
        );
      });
    });
  }

  /** Sends a signal and waits for the exit (SIGKILL when it takes longer than the timeout). */
  async stop(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 15_000): Promise<Exit> {
    if (this.exit) return this.exit;
    this.child.kill(signal);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    const exit = await this.exited;
    clearTimeout(timer);
    return exit;
  }

  kill(): Promise<Exit> {
    return this.stop('SIGKILL');
  }
}

const running = new Set<PlazaProcess>();
process.on('exit', () => {
  for (const p of running) p.child.kill('SIGKILL');
});

export function spawnPlaza(
  name: string,
  entry: string,
  env: Record<string, string>,
  args: string[] = [],
): PlazaProcess {
  const child = spawn(process.execPath, ['--conditions=plaza-source', path.join(root, entry), ...args], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new PlazaProcess(name, child);
}

export async function startServer(env: Record<string, string>, name = 'server'): Promise<PlazaProcess> {
  const server = spawnPlaza(name, 'server/main.ts', env);
  const line = await server.waitForLog((l) => l.msg === 'listening', 60_000);
  server.port = Number(line.port);
  return server;
}

export async function startWorkers(
  env: Record<string, string>,
  queues: string[] = [],
): Promise<PlazaProcess> {
  const workers = spawnPlaza('workers', 'workers/main.ts', env, queues);
  await workers.waitForLog((l) => l.msg === 'workers started', 60_000);
  return workers;
}

/** Runs an entry point to completion and returns its exit and output. */
export async function runToExit(
  entry: string,
  env: Record<string, string>,
): Promise<Exit & { stdout: string; stderr: string }> {
  const p = spawnPlaza(path.basename(entry, '.ts'), entry, env);
  const exit = await p.exited;
  return { ...exit, stdout: p.logs.map((l) => JSON.stringify(l)).join('\n'), stderr: p.stderr };
}

export async function stopAll(processes: Array<PlazaProcess | undefined>): Promise<void> {
  await Promise.all(processes.map((p) => p?.stop('SIGKILL', 5_000)));
}
