// Lookups by key that concurrent callers share: the calls made during one turn of the event loop go
// to the database as one query (`where key = any($1)`), not one round trip each. Under a connection
// storm (clients of a lost instance reconnecting) or a burst of new sessions, that is one query per
// turn instead of fifty. Built on DataLoader, without its cache: every call reads fresh rows.
import DataLoader from 'dataloader';
import type { Db, Executor } from './database.ts';

const MAX_BATCH = 500;

export type Lookup<K, V> = (db: Executor, key: K) => Promise<V | undefined>;

/**
 * `loadMany(db, keys)` answers a batch (keys it leaves out are "not found"). Calls inside a transaction
 * run alone on the transaction's connection: they must see its uncommitted changes.
 */
export function batchedLookup<K, V>(
  loadMany: (db: Executor, keys: readonly K[]) => Promise<Map<K, V>>,
): Lookup<K, V> {
  const loaders = new WeakMap<Db, DataLoader<K, V | undefined>>();
  return async (db, key) => {
    if (db.isTransaction) return (await loadMany(db, [key])).get(key);
    let loader = loaders.get(db as Db);
    if (!loader) {
      loader = new DataLoader<K, V | undefined>(
        async (keys) => {
          const found = await loadMany(db, keys);
          return keys.map((k) => found.get(k));
        },
        { cache: false, maxBatchSize: MAX_BATCH, batchScheduleFn: (run) => setImmediate(run) },
      );
      loaders.set(db as Db, loader);
    }
    return loader.load(key);
  };
}
