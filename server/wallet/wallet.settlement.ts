// Settlement: posts pending transfers to the ledger in one transaction, or fails them for lack of funds.
// Several transfers may settle together (one commit for many, as ledgers built for speed do); every
// guarantee holds per transfer: rows locked in a fixed order, a status guard, and the database's checks.
// This file takes and locks the transfers; wallet.posting.ts posts them, wallet.funds.ts decides which
// are funded (available money = balance − held; ticket money held until its event ends).
import { sql } from 'kysely';
import type { Trx } from '../db/database.ts';
import { compareText, postLocked } from './wallet.posting.ts';
import type { SettlementDeps, SettlementResult } from './wallet.settlement-hooks.ts';

export { INSUFFICIENT_FUNDS } from './wallet.funds.ts';
export {
  type SettledTransfer,
  type SettlementDeps,
  type SettlementHook,
  SettlementHooks,
  type SettlementResult,
  transferDedupeKey,
} from './wallet.settlement-hooks.ts';

/** Settles those of `transferIds` still pending; settled or unknown ids are skipped (retries are no-ops). */
export async function settleTransfers(
  deps: SettlementDeps,
  transferIds: readonly string[],
): Promise<SettlementResult> {
  const ids = [...new Set(transferIds)];
  if (ids.length === 0) return { completed: 0, failed: 0 };
  return deps.db.transaction().execute(async (trx) => {
    // Lock order, the same in every settler: transfers by id (the drain skips locked ones rather than
    // wait: settleNextPending), then accounts by id. No deadlocks.
    // FOR NO KEY UPDATE (what an UPDATE of non-key columns takes): it excludes other settlers but not
    // the KEY SHARE locks that inserting a transfer takes on its accounts, so requests never wait on
    // settlements nor deadlock with them.
    // A transfer settled meanwhile by another worker drops out here (its status is re-checked after the wait).
    const pending = await pendingViews(trx)
      .where('t.id', 'in', ids)
      .orderBy('t.id')
      .forNoKeyUpdate('t')
      .execute();
    return postLocked(trx, deps, pending);
  });
}

/** What `settleNextPending` took and how it ended. */
export interface PendingBatch extends SettlementResult {
  /** The transfers it locked (and settled, as it returned). */
  ids: string[];
}

/** A batch of `settleNextPending` that failed after locking its transfers: they are named, for retrying alone. */
export class PendingBatchError extends Error {
  readonly ids: string[];

  constructor(ids: string[], cause: unknown) {
    super(`settling a batch of ${ids.length} pending transfers failed`, { cause });
    this.ids = ids;
    this.name = 'PendingBatchError';
  }
}

/**
 * Settles up to `limit` of the oldest pending transfers not in `exclude`, in one transaction.
 * SKIP LOCKED: those another settler holds are left to it, so several settlers never wait on each
 * other's transfers (only on shared accounts, locked by id as everywhere).
 */
export async function settleNextPending(
  deps: SettlementDeps,
  limit: number,
  exclude: readonly string[] = [],
): Promise<PendingBatch> {
  let ids: string[] = [];
  try {
    return await deps.db.transaction().execute(async (trx) => {
      let query = pendingViews(trx);
      if (exclude.length > 0) query = query.where(sql<boolean>`t.id <> all(${[...exclude]}::uuid[])`);
      // The partial index on pending transfers' created_at serves this; the batch is posted in id order.
      const rows = await query
        .orderBy('t.created_at')
        .limit(limit)
        .forNoKeyUpdate('t')
        .skipLocked()
        .execute();
      const pending = rows.sort((a, b) => compareText(a.id, b.id));
      ids = pending.map((t) => t.id);
      return { ids, ...(await postLocked(trx, deps, pending)) };
    });
  } catch (error) {
    // Failed before taking any transfer (the database is away…): nothing to single out.
    if (ids.length === 0) throw error;
    // Failed while posting or at commit (the deferred ledger checks run there): name the transfers.
    throw new PendingBatchError(ids, error);
  }
}

/** Pending transfers with their parties' names; the caller adds which ones and locks them. */
function pendingViews(trx: Trx) {
  return trx
    .selectFrom('transfers as t')
    .innerJoin('users as tu', 'tu.id', 't.to_user_id')
    .leftJoin('users as fu', 'fu.id', 't.from_user_id')
    .selectAll('t')
    .select([
      'fu.username as from_username',
      'fu.display_name as from_display_name',
      'fu.avatar_key as from_avatar_key',
      'tu.username as to_username',
      'tu.display_name as to_display_name',
      'tu.avatar_key as to_avatar_key',
    ])
    .where('t.status', '=', 'pending');
}
