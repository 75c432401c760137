// Group commit for BullMQ handlers: jobs that arrive while a batch is being written wait and go
// together in the next, so a worker at concurrency N pays one transaction per batch, not per job.
// Used by the event reminders worker.

export interface GroupCommitOptions<R> {
  /** Most items in one commit. */
  maxBatch?: number;
  /**
   * Commits in flight at once (default 1). Two let one batch's round trips and JavaScript overlap the
   * other's work in the database; only for commits that cannot deadlock each other (they lock their
   * rows in one global order).
   */
  lanes?: number;
  /**
   * Start a batch on the next turn of the event loop rather than at the first submit, so the jobs
   * BullMQ hands over in one burst (the replacements of a finished batch) go together, not one alone
   * and the rest after it.
   */
  gather?: boolean;
  /**
   * Work after the commit that must finish before the batch's items resolve but need not hold up the
   * next commit (e.g. enqueueing follow-up jobs): it overlaps the next batch's transaction.
   */
  afterCommit?: (committed: R) => Promise<unknown>;
}

interface Waiter<T> {
  item: T;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * Under light load an item runs alone at once; under heavy load one commit handles many. Each submit
 * resolves only after the commit that handled its item (and its afterCommit), and rejects with that
 * batch's error: the whole batch fails together, so callers retry failed items alone, lest one
 * poisoned item fail every batch it lands in. At most `lanes` commits run at once (one by default).
 */
export class GroupCommit<T, R = unknown> {
  private waiting: Waiter<T>[] = [];
  private running = 0;
  private scheduled = false;
  private readonly maxBatch: number;
  private readonly lanes: number;

  private readonly commit: (items: T[]) => Promise<R>;
  private readonly options: GroupCommitOptions<R> = {};

  constructor(commit: (items: T[]) => Promise<R>, options: GroupCommitOptions<R> = {}) {
    this.commit = commit;
    this.options = options;
    this.maxBatch = options.maxBatch ?? 100;
    this.lanes = Math.max(1, options.lanes ?? 1);
  }

  submit(item: T): Promise<void> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
      if (!this.options.gather) this.flush();
      else if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => {
          this.scheduled = false;
          this.flush();
        });
      }
    });
  }

  private flush(): void {
    while (this.running < this.lanes && this.waiting.length > 0) this.start();
  }

  private start(): void {
    this.running++;
    const batch = this.waiting.splice(0, this.maxBatch);
    let committed: Promise<R>;
    try {
      committed = this.commit(batch.map((w) => w.item));
    } catch (error) {
      // A commit that throws before returning its promise must not leave the batcher stuck running.
      committed = Promise.reject(error);
    }
    const { afterCommit } = this.options;
    committed.then(afterCommit).then(
      () => {
        for (const w of batch) w.resolve();
      },
      (error: unknown) => {
        for (const w of batch) w.reject(error);
      },
    );
    // The next batch starts once this one has committed (or failed), not after its afterCommit.
    committed
      .catch(() => {})
      .finally(() => {
        this.running--;
        this.flush();
      });
  }
}
