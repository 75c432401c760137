// Runs tasks with the same key one after another in this process (different keys run in parallel).
//
// For work that will queue on one database row lock anyway (joining a popular event): waiting here costs
// nothing, while waiting in PostgreSQL holds a pooled connection — a burst on one row would otherwise
// take the whole pool and starve every other request (the pool's acquire timeout answers 503).
export class KeyedSerializer {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const result = previous.then(task, task);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(key, tail);
    // The last task of a key removes the key, so the map holds only keys with work in flight.
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }
}
