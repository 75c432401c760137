// Group commit for BullMQ handlers: jobs that arrive while a batch is being written wait and go
// together in the next, so a worker at concurrency N pays one transaction per batch, not per job.
// Used by the event reminders worker.

export interface GroupCommitOptions<R> {
  /** Most items in one commit. */
  maxBatch?: number;
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
 * poisoned item fail every batch it lands in. Commits never overlap one another.
 */
export class GroupCommit<T, R = unknown> {
  private waiting: Waiter<T>[] = [];
  private running = false;
  private scheduled = false;
  private readonly maxBatch: number;

  constructor(
    private readonly commit: (items: T[]) => Promise<R>,
    private readonly options: GroupCommitOptions<R> = {},
  ) {
    this.maxBatch = options.maxBatch ?? 100;
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
    if (this.running || this.waiting.length === 0) return;
    this.running = true;
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
        this.running = false;
        this.flush();
      });
  }
}
