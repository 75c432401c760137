// Child processes of a bench run: Plaza servers and workers, and the bare baselines. Their output is
// scanned only until they are ready, then dropped, so the load generator pays nothing for their logs.
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpuSeconds, rssBytes } from './cpu.ts';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

const running = new Set<BenchProcess>();
process.on('exit', () => {
  for (const p of running) p.child.kill('SIGKILL');
});

/** Stops every process still running (on an error or Ctrl-C). */
export async function stopAllProcesses(): Promise<void> {
  await Promise.all([...running].map((p) => p.stop()));
}

export class BenchProcess {
  /** The ready line, parsed (`{"msg":"listening","port":…}` and the like). */
  ready: Record<string, unknown> = {};
  private tail = '';
  private readonly exited: Promise<void>;
  private done = false;

  readonly name: string;
  readonly child: ChildProcess;

  constructor(name: string, child: ChildProcess) {
    this.name = name;
    this.child = child;
    running.add(this);
    this.exited = new Promise((resolve) =>
      child.on('exit', () => {
        this.done = true;
        running.delete(this);
        resolve();
      }),
    );
    const keep = (chunk: Buffer) => {
      this.tail = (this.tail + chunk.toString()).slice(-8_192);
    };
    child.stderr?.on('data', keep);
    child.stdout?.on('data', keep);
  }

  get pid(): number {
    return this.child.pid!;
  }

  get url(): string {
    return `http://127.0.0.1:${String(this.ready.port)}`;
  }

  cpuSeconds(): number {
    return cpuSeconds(this.pid);
  }

  rssBytes(): number {
    return rssBytes(this.pid);
  }

  /** Resolves with the first stdout JSON line whose `msg` is one of `messages`. */
  waitReady(messages: string[], timeoutMs = 90_000): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      let buffer = '';
      const onData = (chunk: Buffer) => {
        buffer += chunk.toString();
        let newline = buffer.indexOf('\n');
        while (newline >= 0) {
          const line = buffer.slice(0, newline);
          buffer = buffer.slice(newline + 1);
          newline = buffer.indexOf('\n');
          if (!messages.some((m) => line.includes(`"msg":"${m}"`))) continue;
          try {
            this.ready = JSON.parse(line) as Record<string, unknown>;
          } catch {
            continue;
          }
          finish();
          resolve(this.ready);
          return;
        }
      };
      const onExit = () => {
        finish();
        reject(new Error(`${this.name} exited before it was ready:\n${this.tail}`));
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`${this.name} not ready within ${timeoutMs} ms:\n${this.tail}`));
      }, timeoutMs);
      const finish = () => {
        clearTimeout(timer);
        this.child.stdout?.off('data', onData);
        this.child.off('exit', onExit);
      };
      this.child.stdout?.on('data', onData);
      this.child.on('exit', onExit);
    });
  }

  /** SIGTERM (a CPU profile, if asked for, is written on the way out), SIGKILL after the timeout. */
  async stop(timeoutMs = 8_000): Promise<void> {
    if (this.done) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    await this.exited;
    clearTimeout(timer);
  }

  get output(): string {
    return this.tail;
  }
}

/** Node flags for a process under measurement: `BENCH_CPU_PROF=<dir>` profiles it. */
function profileFlags(name: string): string[] {
  const only = process.env.BENCH_CPU_PROF_ONLY;
  if (only && !name.startsWith(only)) return [];
  // `BENCH_NODE_FLAGS="--perf-basic-prof"` lets `perf record -a` name the JIT frames of these processes.
  const extra = (process.env.BENCH_NODE_FLAGS ?? '').split(' ').filter(Boolean);
  const dir = process.env.BENCH_CPU_PROF;
  if (!dir) return extra;
  return [
    ...extra,
    // One folder per process: node writes one profile per thread (password hashing runs in its
    // own), CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile; the main thread's is the biggest.
    '--cpu-prof',
    `--cpu-prof-dir=${path.join(path.resolve(dir), name)}`,
  ];
}

/** A TypeScript entry point run like `npm run server` does (Node's type stripping, the workspace's source condition). */
export function spawnEntry(
  name: string,
  entry: string,
  env: Record<string, string>,
  args: string[] = [],
): BenchProcess {
  const child = spawn(
    process.execPath,
    ['--conditions=plaza-source', ...profileFlags(name), path.join(root, entry), ...args],
    {
      cwd: root,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  return new BenchProcess(name, child);
}

export async function startPlazaServer(
  env: Record<string, string>,
  name = 'app-server',
): Promise<BenchProcess> {
  const p = spawnEntry(name, 'server/main.ts', env);
  await p.waitReady(['listening']);
  return p;
}

export async function startPlazaWorkers(
  env: Record<string, string>,
  queues: string[],
  name = 'app-workers',
): Promise<BenchProcess> {
  const p = spawnEntry(name, 'workers/main.ts', env, queues);
  await p.waitReady(['workers started']);
  return p;
}

/** A baseline process (bench/baselines/*.ts) that prints `{"msg":"listening"|"ready", …}` when ready. */
export async function startBaseline(
  name: string,
  entry: string,
  env: Record<string, string>,
): Promise<BenchProcess> {
  const p = spawnEntry(name, entry, env);
  await p.waitReady(['listening', 'ready']);
  return p;
}
