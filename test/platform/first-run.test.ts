// `npm start` on a machine with only Node: embedded PostgreSQL and Redis on free ports with their own data
// directory, the whole journey of a first user, a restart that keeps the data, and the plain start-up error.
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { captcha } from '../helpers/captcha.ts';
import { connectLive } from '../helpers/live.ts';
import { type PlazaProcess, runToExit, spawnPlaza, stopAll } from '../helpers/processes.ts';
import { type SmtpSink, startSmtpSink } from '../helpers/smtp-sink.ts';

let sink: SmtpSink;
let dataDir: string;
let current: PlazaProcess | undefined;

beforeAll(async () => {
  sink = await startSmtpSink();
  dataDir = mkdtempSync(path.join(tmpdir(), 'plaza-first-run-'));
  // Run as root, PostgreSQL runs as the postgres user, which must reach its directory.
  chmodSync(dataDir, 0o755);
});

afterAll(async () => {
  await stopAll([current]);
  await sink.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const env = () => ({
  DATABASE_URL: 'embedded',
  REDIS_URL: 'embedded',
  DATA_DIR: dataDir,
  PORT: '0',
  WORKERS_METRICS_PORT: '0',
  PUBLIC_URL: 'http://plaza.example',
  SMTP_URL: sink.url,
  CAPTCHA_MAX_NUMBER: '1000',
  LOG_LEVEL: 'info',
});

/** `npm start`, up to the point where the server listens and the workers run; returns the server's URL. */
async function npmStart(): Promise<string> {
  current = spawnPlaza('npm-start', 'server/start.ts', env());
  const listening = await current.waitForLog((l) => l.name === 'server' && l.msg === 'listening', 90_000);
  await current.waitForLog((l) => l.name === 'workers' && l.msg === 'workers started', 30_000);
  return `http://127.0.0.1:${Number(listening.port)}`;
}

async function api<T>(base: string, method: string, route: string, body?: unknown, token?: string) {
  const res = await fetch(`${base}/api/v1${route}`, {
    method,
    headers: {
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, body: (await res.json()) as T };
}

/** The command lines of every process below `pid` (children, grandchildren…), from /proc. */
function descendants(pid: number): string[] {
  const parentOf = new Map<number, number>();
  for (const entry of readdirSync('/proc').filter((e) => /^\d+$/.test(e))) {
    try {
      // The command name in field 2 may hold spaces; the parent pid follows its closing parenthesis.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      parentOf.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {}
  }
  const below = (p: number): number[] =>
    [...parentOf].filter(([, parent]) => parent === p).flatMap(([child]) => [child, ...below(child)]);
  return below(pid).map((p) => {
    try {
      return readFileSync(`/proc/${p}/cmdline`, 'utf8').replaceAll('\0', ' ');
    } catch {
      return '';
    }
  });
}

/** A port with nothing listening on it. */
function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

describe('npm start with DATABASE_URL=embedded and REDIS_URL=embedded', () => {
  const username = `first_${Date.now().toString(36)}`;
  const email = `${username}@example.test`;
  let token = '';
  let postId = '';

  it('serves the feed: a new user registers, verifies, posts and sees the push', async () => {
    const base = await npmStart();
    expect(
      current!.logs.some((l) => l.msg === `initialising the embedded PostgreSQL in ${dataDir}/postgres`),
    ).toBe(true);
    // Node runs the TypeScript itself: no tsx, no esbuild service anywhere below `npm start`.
    const processes = descendants(current!.pid);
    expect(
      processes.filter((p) => p.includes('server/main.ts') || p.includes('workers/main.ts')),
    ).toHaveLength(2);
    expect(processes.filter((p) => /tsx|esbuild/.test(p))).toEqual([]);

    const feedPage = await fetch(`${base}/`);
    expect(feedPage.status).toBe(200);
    expect(await feedPage.text()).toContain('<title>Feed');

    const solve = () => captcha((p) => fetch(`${base}${p}`));
    const registered = await api(base, 'POST', '/auth/register', {
      email,
      username,
      password: 'a long enough password',
      captcha: await solve(),
    });
    expect(registered.status).toBe(201);
    const message = await sink.waitForMessage(email, (m) => /verification code/.test(m.subject));
    const code = /\b(\d{6})\b/.exec(message.text)![1]!;
    const verified = await api<{ token: string }>(base, 'POST', '/auth/verify-email', { email, code });
    expect(verified.status).toBe(200);
    token = verified.body.token;

    const feed = await connectLive({ url: base, token, topics: ['feed'] });
    try {
      const created = await api<{ id: string }>(
        base,
        'POST',
        '/posts',
        { body: 'hello from a first run' },
        token,
      );
      expect(created.status).toBe(201);
      postId = created.body.id;
      await feed.waitForCount(1);
      expect(feed.pushes[0]).toMatchObject({ type: 'post:created', data: { post: { id: postId } } });
    } finally {
      feed.close();
    }

    // The operator's command reaches the same embedded services while `npm start` runs.
    const cli = spawnPlaza(
      'cli',
      'server/cli.ts',
      { DATABASE_URL: 'embedded', REDIS_URL: 'embedded', DATA_DIR: dataDir },
      ['grant-role', username, 'admin'],
    );
    expect(await cli.exited).toEqual({ code: 0, signal: null });
    expect(cli.logs).toEqual([{ raw: `${username} is now admin` }]);
  });

  it('stops everything cleanly on SIGTERM and finds the post and the session again after a restart', async () => {
    expect(await current!.stop('SIGTERM', 30_000)).toEqual({ code: 0, signal: null });
    // PostgreSQL removes its pid file on a clean shutdown; Redis wrote its append-only file.
    expect(existsSync(path.join(dataDir, 'postgres/postmaster.pid'))).toBe(false);
    expect(existsSync(path.join(dataDir, 'running.json'))).toBe(false);
    expect(existsSync(path.join(dataDir, 'redis/appendonlydir'))).toBe(true);

    const base = await npmStart();
    expect(current!.logs.some((l) => String(l.msg).startsWith('initialising'))).toBe(false);
    const post = await api<{ id: string; body: string }>(base, 'GET', `/posts/${postId}`);
    expect(post).toMatchObject({ status: 200, body: { id: postId, body: 'hello from a first run' } });
    const me = await api<{ username: string }>(base, 'GET', '/me', undefined, token);
    expect(me).toMatchObject({ status: 200, body: { username, role: 'admin' } });
    expect(await current!.stop('SIGTERM', 30_000)).toEqual({ code: 0, signal: null });
  });
});

describe('a dependency that cannot be reached at start-up', () => {
  it('is named in one plain line, with what to do, and the exit code is 1', async () => {
    const port = await closedPort();
    const url = `postgres://postgres@127.0.0.1:${port}/plaza`;
    const run = inject('testRun');
    for (const entry of ['server/start.ts', 'server/main.ts', 'workers/main.ts', 'server/db/migrate.ts']) {
      const result = await runToExit(entry, {
        DATABASE_URL: url,
        REDIS_URL: run.redisUrl,
        LOG_LEVEL: 'info',
      });
      expect(result.code, entry).toBe(1);
      const lines = result.stderr.trim().split('\n');
      expect(lines, entry).toEqual([
        `Cannot reach PostgreSQL at ${url} (connection refused). Start PostgreSQL there or set DATABASE_URL ` +
          'to one that runs (with `npm start`, DATABASE_URL=embedded runs a private one).',
      ]);
    }
  });

  it('gives the stack trace too with LOG_LEVEL=debug', async () => {
    const port = await closedPort();
    const result = await runToExit('server/main.ts', {
      REDIS_URL: `redis://127.0.0.1:${port}`,
      DATABASE_URL: `${inject('testRun').adminUrl}`,
      LOG_LEVEL: 'debug',
    });
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toEqual([
      `Cannot reach Redis at redis://127.0.0.1:${port} (connection refused). Start Redis there or set REDIS_URL ` +
        'to one that runs (with `npm start`, REDIS_URL=embedded runs a private one).',
    ]);
    expect(result.stdout).toMatch(/"stack":".*ECONNREFUSED/);
  });
});
