// Settlement: posts pending transfers to the ledger in one transaction, or fails them for lack of funds.
// Several transfers may settle together (one commit for many, as ledgers built for speed do); every
// guarantee holds per transfer: rows locked in a fixed order, a status guard, and the database's checks.
import type { Transfer, TransferKind } from '@plaza/client/protocol';
import { sql } from 'kysely';
import { userRoom } from '../auth/actor.ts';
import type { Db, Trx } from '../db/database.ts';
import { type NewNotification, notifyMany } from '../notifications/notifications.service.ts';
import type { NewEvent } from '../realtime/event-log.ts';
import { appendEvents } from '../realtime/event-log.ts';
import { formatMoney, transferViewToTransfer } from './wallet.objects.ts';
import type { TransferView } from './wallet.repository.ts';

export const INSUFFICIENT_FUNDS = 'insufficient_funds';

/** A transfer as its settlement hook sees it, after its status was decided (same transaction). */
export interface SettledTransfer {
  transfer: Transfer;
  reference: string | null;
}

export type SettlementHook = (trx: Trx, settled: SettledTransfer) => Promise<void>;

/**
 * What other features do when a transfer of their kind settles (events: a paid ticket makes the
 * joiner `going`, a failed one removes them). Hooks run inside the settlement transaction, so their
 * changes commit with the posting or not at all; a hook that throws fails the settlement, to be retried.
 */
export class SettlementHooks {
  private readonly hooks = new Map<TransferKind, SettlementHook[]>();

  on(kind: TransferKind, hook: SettlementHook): this {
    this.hooks.set(kind, [...(this.hooks.get(kind) ?? []), hook]);
    return this;
  }

  async run(trx: Trx, settled: SettledTransfer): Promise<void> {
    for (const hook of this.hooks.get(settled.transfer.kind) ?? []) await hook(trx, settled);
  }
}

export interface SettlementDeps {
  db: Db;
  currency: string;
  hooks: SettlementHooks;
}

export interface SettlementResult {
  completed: number;
  failed: number;
}

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
  constructor(
    readonly ids: string[],
    cause: unknown,
  ) {
    super(`settling a batch of ${ids.length} pending transfers failed`, { cause });
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
      'tu.username as to_username',
      'tu.display_name as to_display_name',
    ])
    .where('t.status', '=', 'pending');
}

/** Posts transfers whose rows the caller has locked (in id order), in the caller's transaction. */
async function postLocked(
  trx: Trx,
  deps: SettlementDeps,
  pending: TransferView[],
): Promise<SettlementResult> {
  if (pending.length === 0) return { completed: 0, failed: 0 };

  const accountIds = [...new Set(pending.flatMap((t) => [t.from_account_id, t.to_account_id]))];
  const accounts = await trx
    .selectFrom('wallet_accounts')
    .select(['id', 'kind', 'user_id', 'balance_cents'])
    .where('id', 'in', accountIds)
    .orderBy('id')
    .forNoKeyUpdate()
    .execute();
  const balance = new Map(accounts.map((a) => [a.id, a.balance_cents]));
  const isIssuer = new Map(accounts.map((a) => [a.id, a.kind === 'issuer']));

  // Taken after the locks: where two settlements share an account, their seqs follow commit order.
  const { rows: seqRows } = await sql<{ seq: number }>`
      select nextval('transfers_settled_seq') as seq from generate_series(1, ${pending.length})`.execute(trx);
  const seqs = seqRows.map((r) => r.seq).sort((a, b) => a - b);

  // Decide in order, each transfer seeing the balances left by the ones before it.
  const outcomes = pending.map((t, i) => {
    const available = balance.get(t.from_account_id) ?? 0;
    const funded = isIssuer.get(t.from_account_id) === true || available >= t.amount_cents;
    if (funded) {
      balance.set(t.from_account_id, available - t.amount_cents);
      balance.set(t.to_account_id, (balance.get(t.to_account_id) ?? 0) + t.amount_cents);
    }
    return { row: t, funded, seq: seqs[i]! };
  });

  const posted = outcomes.filter((o) => o.funded);
  if (posted.length > 0) {
    // The ledger trigger moves the balances; the CHECK refuses an overdraft even if the logic above erred.
    await trx
      .insertInto('ledger_entries')
      .values(
        posted.flatMap(({ row }) => [
          { transfer_id: row.id, account_id: row.from_account_id, amount_cents: -row.amount_cents },
          { transfer_id: row.id, account_id: row.to_account_id, amount_cents: row.amount_cents },
        ]),
      )
      .execute();
  }

  const values = outcomes.map(
    (o) =>
      sql`(${o.row.id}::uuid, ${o.funded ? 'completed' : 'failed'}, ${o.funded ? null : INSUFFICIENT_FUNDS}, ${o.seq}::bigint)`,
  );
  const updated = await sql<{ id: string; completed_at: Date }>`
      update transfers t set status = v.status, failure_reason = v.reason, settled_seq = v.seq,
        completed_at = clock_timestamp()
      from (values ${sql.join(values)}) as v(id, status, reason, seq)
      where t.id = v.id and t.status = 'pending'
      returning t.id, t.completed_at`.execute(trx);
  // The rows are locked, so every one must have moved; anything else is a bug: roll back everything.
  if (updated.rows.length !== outcomes.length) throw new Error('settlement lost a transfer it had locked');
  const completedAt = new Map(updated.rows.map((r) => [r.id, r.completed_at]));

  const events: NewEvent[] = [];
  const notifications: NewNotification[] = [];
  const settledForHooks: SettledTransfer[] = [];
  for (const o of outcomes) {
    const view: TransferView = {
      ...o.row,
      status: o.funded ? 'completed' : 'failed',
      failure_reason: o.funded ? null : INSUFFICIENT_FUNDS,
      settled_seq: o.seq,
      completed_at: completedAt.get(o.row.id) ?? new Date(),
    };
    const transfer = transferViewToTransfer(view);
    const parties = [o.row.from_user_id, o.row.to_user_id].filter((id): id is string => id !== null);
    events.push({
      type: 'transfer:updated',
      topic: 'me',
      rooms: parties.map(userRoom),
      data: { transfer },
    });
    const notification = notificationOf(deps.currency, transfer);
    if (notification) notifications.push(notification);
    settledForHooks.push({ transfer, reference: o.row.reference });
  }
  // Hooks lock their own rows (events: the event's row); taken in reference order, two settlements
  // touching the same events cannot deadlock. They run before the notifications below, so a hook may
  // send its own, more precise one under the same dedupe key (`transferDedupeKey`).
  settledForHooks.sort(
    (a, b) => compareText(a.reference ?? '', b.reference ?? '') || compareText(a.transfer.id, b.transfer.id),
  );
  for (const settled of settledForHooks) await deps.hooks.run(trx, settled);
  // One balance push per user account touched, with its balance as this transaction commits it.
  for (const account of accounts) {
    if (account.user_id && balance.get(account.id) !== account.balance_cents) {
      events.push({
        type: 'wallet:updated',
        topic: 'me',
        rooms: [userRoom(account.user_id)],
        data: { balanceCents: balance.get(account.id) ?? 0 },
      });
    }
  }
  await appendEvents(trx, events);
  await notifyMany(trx, notifications);
  return { completed: posted.length, failed: outcomes.length - posted.length };
}

/** The dedupe key of a transfer's settlement notification: one per transfer, whoever sends it first. */
export const transferDedupeKey = (transferId: string): string => `transfer:${transferId}`;

const compareText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** transfer_received to the recipient (mints included: it is money arriving), transfer_failed to the sender. */
function notificationOf(currency: string, transfer: Transfer): NewNotification | null {
  const amount = formatMoney(transfer.amountCents, currency);
  const memo = transfer.memo ? `: “${transfer.memo}”` : '';
  // Keyed by transfer: a settlement retried after a crash never notifies twice.
  const dedupeKey = transferDedupeKey(transfer.id);
  if (transfer.status === 'completed') {
    return {
      userId: transfer.to.id,
      type: 'transfer_received',
      title: `You received ${amount}`,
      body: `${transfer.from ? `@${transfer.from.username}` : 'Plaza'} sent you ${amount}${memo}`,
      url: '/wallet',
      dedupeKey,
    };
  }
  if (!transfer.from) return null;
  return {
    userId: transfer.from.id,
    type: 'transfer_failed',
    title: `Your transfer of ${amount} failed`,
    body: `Your transfer of ${amount} to @${transfer.to.username} failed: not enough funds${memo}`,
    url: '/wallet',
    dedupeKey,
  };
}
