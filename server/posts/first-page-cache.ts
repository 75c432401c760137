// The global feed's first pages, as anonymous readers see them, served without a query per request.
//
// Why it is never stale past a push: an entry is keyed by the seq the request's X-Plaza-Seq header
// carries, read before the page's query ran. Every change a page can show (posts, edits, deletes, likes,
// comments) is an event-log row, so a page built at seq S holds every change up to S (and perhaps a few
// after, which the client's dedupe absorbs); a client resuming from S gets the rest as pushes. An entry
// built at S therefore also serves a request that read any seq ≤ S; once the instance learns a newer seq,
// the next request builds a new page. The short time limit only bounds changes made outside the app
// (an operator's UPDATE), which the event log does not see.
//
// Concurrent misses share one query (a burst after each push costs one query, not fifty), and a failed
// query is not kept.

export const FIRST_PAGE_TTL_MS = 2_000;

interface Entry<T> {
  seq: number;
  expiresAt: number;
  value: Promise<T>;
}

export class FirstPageCache<T> {
  private readonly entries = new Map<number, Entry<T>>();

  private readonly ttlMs: number;

  constructor(ttlMs = FIRST_PAGE_TTL_MS) {
    this.ttlMs = ttlMs;
  }

  /** The page of `limit` items at seq ≥ `seq`, built by `load` when no fresh entry covers it. */
  get(limit: number, seq: number, load: () => Promise<T>): Promise<T> {
    const now = Date.now();
    const entry = this.entries.get(limit);
    if (entry && entry.seq >= seq && entry.expiresAt > now) return entry.value;
    const value = load();
    const fresh: Entry<T> = { seq, expiresAt: now + this.ttlMs, value };
    this.entries.set(limit, fresh);
    value.catch(() => {
      if (this.entries.get(limit) === fresh) this.entries.delete(limit);
    });
    return value;
  }

  clear(): void {
    this.entries.clear();
  }
}
