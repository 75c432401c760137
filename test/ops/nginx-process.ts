// Real nginx (the Debian package) for tests, running deploy/nginx.conf with only its addresses, ports
// and file paths replaced: loopback listen port, the given backends, a temporary prefix for pid/logs.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { waitFor } from '../helpers/wait.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface Nginx {
  url: string;
  port: number;
  config: string;
  errorLog: () => string;
  stop: () => Promise<void>;
}

export function findNginx(): string | null {
  for (const candidate of ['/usr/sbin/nginx', '/usr/local/sbin/nginx', '/usr/bin/nginx']) {
    if (existsSync(candidate)) return candidate;
  }
  const which = spawnSync('sh', ['-c', 'command -v nginx'], { encoding: 'utf8' });
  return which.status === 0 ? which.stdout.trim() : null;
}

export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Replaces `pattern` in `text`, failing loudly when the shipped config no longer has it. */
function replaceOrFail(
  text: string,
  pattern: RegExp,
  replacement: (match: string, ...groups: string[]) => string,
) {
  if (!pattern.test(text)) throw new Error(`deploy/nginx.conf: expected ${pattern} to adapt it for the test`);
  return text.replace(pattern, replacement);
}

/** deploy/nginx.conf adapted to loopback: only addresses, ports and paths change. */
export function adaptNginxConfig(
  shipped: string,
  options: { port: number; backends: number[]; dir: string; objectStore?: string },
) {
  let config = shipped;
  // The object store (compose's MinIO): a loopback address, reachable or not; nginx must resolve it to start.
  config = replaceOrFail(
    config,
    /^(\s*)server minio:9000([^;]*);$/gm,
    (_m, indent, params) => `${indent}server ${options.objectStore ?? '127.0.0.1:9'}${params};`,
  );
  config = replaceOrFail(config, /\/var\/cache\/nginx/g, () => options.dir);
  config = replaceOrFail(config, /listen 8080;/g, () => `listen 127.0.0.1:${options.port};`);
  config = replaceOrFail(config, /^(\s*)server server:3000([^;]*);$/gm, (_m, indent, params) =>
    options.backends.map((port) => `${indent}server 127.0.0.1:${port}${params};`).join('\n'),
  );
  config = replaceOrFail(config, /error_log \/dev\/stderr/g, () => `error_log ${options.dir}/error.log`);
  config = replaceOrFail(config, /access_log \/dev\/stdout/g, () => `access_log ${options.dir}/access.log`);
  return config;
}

export async function startNginx(binary: string, backends: number[]): Promise<Nginx> {
  const dir = mkdtempSync(path.join(tmpdir(), 'plaza-nginx-'));
  // Run as root, nginx's workers become `nobody`: they must reach the temp paths inside.
  chmodSync(dir, 0o755);
  const port = await freePort();
  const shipped = readFileSync(path.join(root, 'deploy/nginx.conf'), 'utf8');
  const config = adaptNginxConfig(shipped, { port, backends, dir });
  const file = path.join(dir, 'nginx.conf');
  writeFileSync(file, config);
  const errorLog = path.join(dir, 'error.log');
  const child: ChildProcess = spawn(binary, ['-p', dir, '-c', file, '-e', errorLog, '-g', 'daemon off;'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const readError = () => (existsSync(errorLog) ? readFileSync(errorLog, 'utf8') : '');
  try {
    await waitFor(
      async () => {
        if (child.exitCode !== null) throw new Error(`nginx exited: ${stderr}${readError()}`);
        return (await fetch(`${url}/nginx-health`)).ok;
      },
      { timeoutMs: 10_000, what: 'nginx to listen' },
    );
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  return {
    url,
    port,
    config,
    errorLog: readError,
    stop: async () => {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
