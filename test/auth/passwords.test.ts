// Password hashing on the pool of low-priority threads: the same argon2id as the library, correct under
// concurrency, a lost thread loses only its own request, and the threads run below the request loop.
import { spawn } from 'node:child_process';
import { readFileSync, readlinkSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { hash, verify } from '@node-rs/argon2';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PasswordHasher, PasswordHasherUnavailableError } from '../../server/auth/password-hasher.ts';
import { closePasswordHashing, hashPassword, verifyPassword } from '../../server/auth/passwords.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const OPTIONS = { memoryCost: 19_456, timeCost: 2, parallelism: 1 };
const PASSWORD = 'correct horse battery staple';
let known: string;

const pools: PasswordHasher[] = [];
const pool = (options: ConstructorParameters<typeof PasswordHasher>[0]) => {
  const created = new PasswordHasher(options);
  pools.push(created);
  return created;
};

/** Field 19 of /proc/self/task/<tid>/stat; field 2 (the name) is parenthesised and may hold spaces. */
const niceOf = (tid: number) => {
  const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19 - 3]);
};

// Read before any pool exists: a pool that lowered the whole process would leave the test thread lowered.
const testThread =
  process.platform === 'linux' ? Number(readlinkSync('/proc/thread-self').split('/').pop()) : 0;
const testThreadNice = process.platform === 'linux' ? niceOf(testThread) : 0;

beforeAll(async () => {
  known = await hash(PASSWORD, OPTIONS);
});

afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.close()));
});

afterAll(async () => {
  await closePasswordHashing();
});

describe('hashPassword and verifyPassword', () => {
  it('make and check argon2id hashes that @node-rs/argon2 itself makes and checks', async () => {
    const made = await hashPassword(PASSWORD);
    expect(made).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(await verify(made, PASSWORD)).toBe(true);
    expect(await verifyPassword(made, PASSWORD)).toBe(true);
    expect(await verifyPassword(known, PASSWORD)).toBe(true);
  });

  it('say false for a wrong password, a malformed hash and an unknown user', async () => {
    expect(await verifyPassword(known, 'not the password')).toBe(false);
    expect(await verifyPassword('not a hash', PASSWORD)).toBe(false);
    expect(await verifyPassword('$argon2id$v=19$m=19456,t=2,p=1$broken', PASSWORD)).toBe(false);
    expect(await verifyPassword(null, PASSWORD)).toBe(false);
  });

  it('fail, rather than say "wrong password", when the thread is lost mid-verification', async () => {
    const pending = verifyPassword(known, PASSWORD);
    await closePasswordHashing();
    await expect(pending).rejects.toBeInstanceOf(PasswordHasherUnavailableError);
    // Closed is not dead: the next request starts the threads again.
    expect(await verifyPassword(known, PASSWORD)).toBe(true);
  });

  it('finish a hash in a script (Node type stripping), then let the process exit with the pool idle', async () => {
    const script = `import { hashPassword } from './server/auth/passwords.ts'; console.log(await hashPassword('x'));`;
    const child = spawn(
      process.execPath,
      ['--conditions=plaza-source', '--input-type=module', '-e', script],
      { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
    // A thread that kept the process alive would hang it: kill it then, and the test says so.
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
      child.on('exit', (c, s) => resolve([c, s])),
    );
    clearTimeout(timer);
    expect({ code, signal, stderr }).toEqual({ code: 0, signal: null, stderr: '' });
    expect(await verify(stdout.trim(), 'x')).toBe(true);
  });
});

describe('PasswordHasher', () => {
  it('starts no thread before its first request', async () => {
    const hasher = pool({ threads: 2 });
    expect(await hasher.threadIds()).toEqual([]);
    expect(await hasher.verify(known, PASSWORD)).toBe(true);
    expect(await hasher.threadIds()).toHaveLength(1);
  });

  it('answers many more concurrent requests than it has threads, each one correctly, on its 2 threads', async () => {
    const hasher = pool({ threads: 2 });
    const passwords = Array.from({ length: 8 }, (_, i) => `password number ${i}`);
    const hashes = await Promise.all(passwords.map((p) => hasher.hash(p, OPTIONS)));
    expect(new Set(hashes).size).toBe(passwords.length);
    const checks = await Promise.all(
      hashes.flatMap((h, i) => [hasher.verify(h, passwords[i]!), hasher.verify(h, passwords[(i + 1) % 8]!)]),
    );
    expect(checks).toEqual(passwords.flatMap(() => [true, false]));
    expect(await hasher.threadIds()).toHaveLength(2);
  });

  it('rejects a malformed hash with an Error, not as a lost thread', async () => {
    const hasher = pool({ threads: 1 });
    const failure = await hasher.verify('not a hash', PASSWORD).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(Error);
    expect(failure).not.toBeInstanceOf(PasswordHasherUnavailableError);
    expect(await hasher.verify(known, PASSWORD)).toBe(true);
  });

  it('loses only the request of a killed thread, replaces the thread and keeps answering', async () => {
    const hasher = pool({ threads: 2 });
    const answers = Array.from({ length: 6 }, () => hasher.verify(known, PASSWORD));
    expect(await hasher.terminateBusyThread()).toBe(true);
    const settled = await Promise.allSettled(answers);
    const failed = settled.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(failed).toHaveLength(1);
    expect(failed[0]!.reason).toBeInstanceOf(PasswordHasherUnavailableError);
    const answered = settled.filter((r): r is PromiseFulfilledResult<boolean> => r.status === 'fulfilled');
    expect(answered.map((r) => r.value)).toEqual([true, true, true, true, true]);

    expect(await Promise.all([hasher.verify(known, PASSWORD), hasher.verify(known, 'wrong')])).toEqual([
      true,
      false,
    ]);
    expect((await hasher.threadIds()).length).toBeLessThanOrEqual(2);
  });

  it.runIf(process.platform === 'linux')(
    'runs its threads at nice 19 (or the priority asked), leaving the calling thread as it was',
    async () => {
      const lowest = pool({ threads: 2 });
      await Promise.all([lowest.verify(known, PASSWORD), lowest.verify(known, PASSWORD)]);
      const tids = await lowest.threadIds();
      expect(tids).toHaveLength(2);
      expect(tids.map((tid) => niceOf(tid!))).toEqual([19, 19]);

      const chosen = pool({ threads: 1, priority: 7 });
      await chosen.verify(known, PASSWORD);
      expect((await chosen.threadIds()).map((tid) => niceOf(tid!))).toEqual([7]);

      expect(niceOf(testThread)).toBe(testThreadNice);
    },
  );
});
