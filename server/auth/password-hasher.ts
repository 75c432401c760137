// A pool of low-priority worker threads for argon2, so logins never take the CPU from the request loop.
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { Options as Argon2Options } from '@node-rs/argon2';

/**
 * The thread's code, plain CommonJS evaluated from this string: no module file for a thread to resolve and load.
 * The priority is lowered by thread id because Linux keeps a nice value per thread: the id from
 * /proc/thread-self ("<pid>/task/<tid>") lowers this thread only, never the request loop. Where that fails (not
 * Linux, not allowed) the thread hashes at normal priority: slower logins under load beat no logins.
 */
const THREAD_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { readlinkSync } = require('node:fs');
const { setPriority } = require('node:os');
const { hashSync, verifySync } = require(workerData.argon2Path);

let tid = null;
try {
  tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
  setPriority(tid, workerData.priority);
} catch {}

parentPort.on('message', (request) => {
  try {
    const value =
      request.op === 'hash' ? hashSync(request.password, request.options) : verifySync(request.hash, request.password);
    parentPort.postMessage({ type: 'done', ok: true, value });
  } catch (error) {
    parentPort.postMessage({ type: 'done', ok: false, message: error instanceof Error ? error.message : String(error) });
  }
});
parentPort.postMessage({ type: 'ready', tid });
`;

type HashRequest =
  | { op: 'hash'; password: string; options: Argon2Options }
  | { op: 'verify'; hash: string; password: string };

type ThreadMessage =
  | { type: 'ready'; tid: number | null }
  | { type: 'done'; ok: true; value: string | boolean }
  | { type: 'done'; ok: false; message: string };

interface Job {
  request: HashRequest;
  resolve: (value: string | boolean) => void;
  reject: (error: Error) => void;
}

interface Thread {
  worker: Worker;
  job: Job | null;
  /** Its Linux thread id once it runs (null: unknown, or it died first). */
  ready: Promise<number | null>;
}

/** The request was not computed (its thread died, or the pool closed): no answer about the password. */
export class PasswordHasherUnavailableError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'PasswordHasherUnavailableError';
  }
}

export interface PasswordHasherOptions {
  /** Threads at most (default: the CPUs available); more than the cores only thrash argon2's memory. */
  threads?: number | undefined;
  /** Their nice value (default 19, the lowest priority): the request loop, at 0, always runs first. */
  priority?: number | undefined;
}

export class PasswordHasher {
  readonly #size: number;
  readonly #workerData: { argon2Path: string; priority: number };
  readonly #threads = new Set<Thread>();
  readonly #queue: Job[] = [];

  constructor({ threads = availableParallelism(), priority = 19 }: PasswordHasherOptions = {}) {
    if (!Number.isInteger(threads) || threads < 1)
      throw new RangeError(`threads must be >= 1, got ${threads}`);
    this.#size = threads;
    this.#workerData = { argon2Path: createRequire(import.meta.url).resolve('@node-rs/argon2'), priority };
  }

  async hash(password: string, options: Argon2Options): Promise<string> {
    return String(await this.#run({ op: 'hash', password, options }));
  }

  /** Rejects (plain Error) on a malformed hash, as @node-rs/argon2's verify does. */
  async verify(hash: string, password: string): Promise<boolean> {
    return (await this.#run({ op: 'verify', hash, password })) === true;
  }

  /** Fails what is queued or in flight and ends the threads; a later request starts the pool anew. */
  async close(): Promise<void> {
    for (const job of this.#queue.splice(0))
      job.reject(new PasswordHasherUnavailableError('password hasher closed'));
    await Promise.all([...this.#threads].map((thread) => thread.worker.terminate()));
  }

  /** The running threads' Linux thread ids (null where unknown): tests read their priority in /proc. */
  threadIds(): Promise<Array<number | null>> {
    return Promise.all([...this.#threads].map((thread) => thread.ready));
  }

  /** Test hook: ends a thread that has a request in flight, as a crash would; false when none is busy. */
  async terminateBusyThread(): Promise<boolean> {
    const busy = [...this.#threads].find((thread) => thread.job !== null);
    if (!busy) return false;
    await busy.worker.terminate();
    return true;
  }

  #run(request: HashRequest): Promise<string | boolean> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ request, resolve, reject });
      this.#dispatch();
    });
  }

  /** Oldest request first, to an idle thread or a new one while under the size: threads start on demand. */
  #dispatch(): void {
    while (this.#queue.length > 0) {
      const idle = [...this.#threads].find((thread) => thread.job === null);
      const thread = idle ?? (this.#threads.size < this.#size ? this.#spawn() : null);
      if (!thread) return;
      const job = this.#queue.shift()!;
      thread.job = job;
      // Busy, a thread keeps the process alive (a script awaiting a hash gets it, as with libuv's pool);
      // idle, it never does.
      thread.worker.ref();
      thread.worker.postMessage(job.request);
    }
  }

  #spawn(): Thread {
    // No execArgv: none of the parent's flags (a profiler, --conditions) concerns a hashing thread.
    const worker = new Worker(THREAD_SOURCE, { eval: true, workerData: this.#workerData, execArgv: [] });
    let markReady: (tid: number | null) => void = () => {};
    const ready = new Promise<number | null>((resolve) => {
      markReady = resolve;
    });
    const thread: Thread = { worker, job: null, ready };
    let failure: Error | undefined;

    worker.on('message', (message: ThreadMessage) => {
      if (message.type === 'ready') return markReady(message.tid);
      const job = thread.job;
      thread.job = null;
      worker.unref();
      if (message.ok) job?.resolve(message.value);
      else job?.reject(new Error(message.message));
      this.#dispatch();
    });
    worker.on('error', (error) => {
      failure = error;
    });
    worker.on('exit', (code) => {
      this.#threads.delete(thread);
      markReady(null);
      const job = thread.job;
      thread.job = null;
      job?.reject(
        new PasswordHasherUnavailableError(`password hashing thread exited (code ${code})`, {
          cause: failure,
        }),
      );
      // Only its own request is lost: whatever is queued goes on, on a replacement thread.
      this.#dispatch();
    });
    // After the listeners: adding a 'message' listener refs a worker again.
    worker.unref();
    this.#threads.add(thread);
    return thread;
  }
}
