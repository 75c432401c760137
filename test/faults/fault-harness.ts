// What the fault suite controls: its own Redis process, a TCP proxy in front of PostgreSQL that can cut
// the database off, free ports, bounded concurrency and the scan of process logs for errors.
import { type ChildProcess, spawn } from 'node:child_process';
import net from 'node:net';
import type { LogLine, PlazaProcess } from '../helpers/processes.ts';
import { waitFor } from '../helpers/wait.ts';

export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Runs `task(i)` for i < count with at most `concurrency` at once. */
export async function inPool(
  count: number,
  concurrency: number,
  task: (i: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) await task(next++);
    }),
  );
}

async function portAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export interface OwnRedis {
  url: string;
  port: number;
  /** Stops the server with a signal (SIGTERM: orderly; SIGKILL: a crash) and waits for the exit. */
  stop: (signal?: NodeJS.Signals) => Promise<void>;
  /** Starts it again on the same port, empty (no persistence, as after a crash of a cache node). */
  start: () => Promise<void>;
}

/** A Redis server of the test's own, on a free port, without persistence; it dies with the test process. */
export async function startOwnRedis(): Promise<OwnRedis> {
  const port = await freePort();
  let child: ChildProcess | null = null;
  const start = async () => {
    const proc = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      { stdio: 'ignore' },
    );
    child = proc;
    await waitFor(() => portAnswers(port), { timeoutMs: 10_000, what: `redis-server on ${port}` });
  };
  const stop = async (signal: NodeJS.Signals = 'SIGTERM') => {
    const proc = child;
    child = null;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise((resolve) => proc.once('exit', resolve));
    proc.kill(signal);
    await exited;
  };
  process.once('exit', () => child?.kill('SIGKILL'));
  await start();
  return { url: `redis://127.0.0.1:${port}`, port, stop, start };
}

export interface PgProxy {
  port: number;
  /** DATABASE_URL for `database` through the proxy. */
  urlFor: (databaseUrl: string) => string;
  /** The outage: close every relayed connection and refuse new ones (the port stops listening). */
  cut: () => Promise<void>;
  /** Accept again, on the same port. */
  restore: () => Promise<void>;
  /** A partition instead: connections stay open (new ones are accepted) but nothing gets through. */
  freeze: () => void;
  /** The partition heals: every connection is reset and traffic flows again. */
  thaw: () => void;
  close: () => Promise<void>;
}

/** A TCP proxy on loopback in front of PostgreSQL at 127.0.0.1:5432 that the test can cut off. */
export async function startPgProxy(target = { host: '127.0.0.1', port: 5432 }): Promise<PgProxy> {
  const sockets = new Set<net.Socket>();
  const track = (socket: net.Socket) => {
    sockets.add(socket);
    socket.on('error', () => socket.destroy());
    socket.once('close', () => sockets.delete(socket));
  };
  let frozen = false;
  const server = net.createServer((client) => {
    track(client);
    // A partition: the connection is accepted and then nothing ever answers.
    if (frozen) return;
    const upstream = net.connect(target.port, target.host);
    track(upstream);
    // Bytes are dropped, not buffered, while frozen: like packets lost on a partitioned network.
    client.on('data', (chunk) => {
      if (!frozen) upstream.write(chunk);
    });
    upstream.on('data', (chunk) => {
      if (!frozen) client.write(chunk);
    });
    client.once('close', () => upstream.destroy());
    upstream.once('close', () => client.destroy());
  });
  const listen = (port: number) =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
  await listen(0);
  const port = (server.address() as net.AddressInfo).port;
  // Bounded: a close that waits on a straggler connection must not hold the test up.
  const closeServer = () =>
    Promise.race([
      new Promise<void>((resolve) => (server.listening ? server.close(() => resolve()) : resolve())),
      new Promise<void>((resolve) => setTimeout(resolve, 2_000).unref()),
    ]);
  const dropAll = () => {
    for (const socket of sockets) socket.destroy();
  };
  return {
    port,
    urlFor: (databaseUrl) => {
      const url = new URL(databaseUrl);
      url.host = `127.0.0.1:${port}`;
      return url.toString();
    },
    cut: async () => {
      const closed = closeServer();
      dropAll();
      await closed;
    },
    restore: () => listen(port),
    freeze: () => {
      frozen = true;
    },
    thaw: () => {
      // The partition heals; connections that lost bytes are beyond repair and are reset.
      frozen = false;
      dropAll();
    },
    close: async () => {
      const closed = closeServer();
      dropAll();
      await closed;
    },
  };
}

/** Log lines that betray a fault handled badly: errors, fatals and unhandled rejections. */
export function errorLines(processes: PlazaProcess[], allow: (line: LogLine) => boolean = () => false) {
  return processes.flatMap((p) =>
    p.logs
      .filter(
        (l) =>
          l.level === 'error' ||
          l.level === 'fatal' ||
          /unhandled rejection/i.test(String(l.msg ?? '')) ||
          /unhandled|uncaught/i.test(String(l.raw ?? '')),
      )
      .filter((l) => !allow(l))
      .map((l) => `${p.name}: ${JSON.stringify(l).slice(0, 500)}`),
  );
}

/** Percentile of a list of numbers (nearest rank). */
export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}
