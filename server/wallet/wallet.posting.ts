// Posting a batch of locked pending transfers: lock their accounts, decide each in order (wallet.funds.ts),
// write the ledger entries, held money and statuses, then the hooks, pushes and notifications — all in the
// caller's transaction, so everything commits together or not at all.
import type { Transfer } from '@plaza/client/protocol';
import { sql } from 'kysely';
import { userRoom } from '../auth/actor.ts';
import type { Trx } from '../db/database.ts';
import { type NewNotification, notifyMany } from '../notifications/notifications.service.ts';
import type { NewEvent } from '../realtime/event-log.ts';
import { appendEvents } from '../realtime/event-log.ts';
import { type AccountFunds, decideFunding, holdKeysOf, INSUFFICIENT_FUNDS } from './wallet.funds.ts';
import { addHeld, heldChangesOf, loadHolds, writeHolds } from './wallet.holds.ts';
import { formatMoney, transferViewToTransfer } from './wallet.objects.ts';
import type { TransferView } from './wallet.repository.ts';
import {
  type SettledTransfer,
  type SettlementDeps,
  type SettlementResult,
  transferDedupeKey,
} from './wallet.settlement-hooks.ts';

export const compareText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Posts transfers whose rows the caller has locked (in id order), in the caller's transaction. */
export async function postLocked(
  trx: Trx,
  deps: SettlementDeps,
  pending: TransferView[],
): Promise<SettlementResult> {
  if (pending.length === 0) return { completed: 0, failed: 0 };

  const accountIds = [...new Set(pending.flatMap((t) => [t.from_account_id, t.to_account_id]))];
  const accounts = await trx
    .selectFrom('wallet_accounts')
    .select(['id', 'kind', 'user_id', 'balance_cents', 'held_cents'])
    .where('id', 'in', accountIds)
    .orderBy('id')
    .forNoKeyUpdate()
    .execute();
  const funds = new Map<string, AccountFunds>(
    accounts.map((a) => [
      a.id,
      { balance: a.balance_cents, held: a.held_cents, issuer: a.kind === 'issuer' },
    ]),
  );
  // Read after the account locks: every writer of a hold holds its account's lock, so these are current.
  const holds = await loadHolds(trx, holdKeysOf(pending));
  const existingHolds = new Set(holds.keys());

  // Taken after the locks: where two settlements share an account, their seqs follow commit order.
  const { rows: seqRows } = await sql<{ seq: number }>`
      select nextval('transfers_settled_seq') as seq from generate_series(1, ${pending.length})`.execute(trx);
  const seqs = seqRows.map((r) => r.seq).sort((a, b) => a - b);

  const decisions = decideFunding(pending, funds, holds);
  const outcomes = pending.map((row, i) => ({ row, funded: decisions[i]!.funded, seq: seqs[i]! }));

  // Held money moves around the entries so that 0 <= held <= balance holds after every statement (the
  // CHECK is not deferrable): refunds free their held money before the entries lower the balance, tickets
  // hold theirs once the entries raised it.
  const held = heldChangesOf(pending, decisions, existingHolds);
  await addHeld(trx, held.lowered, -1);
  const posted = outcomes.filter((o) => o.funded);
  if (posted.length > 0) {
    // The ledger trigger moves the balances; the CHECKs refuse an overdraft of the balance or of held
    // money even if the decisions above erred.
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
  await addHeld(trx, held.raised, 1);
  await writeHolds(trx, held);

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
    const transfer = transferViewToTransfer(view, deps.urls);
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
    const after = funds.get(account.id)?.balance ?? 0;
    if (account.user_id && after !== account.balance_cents) {
      events.push({
        type: 'wallet:updated',
        topic: 'me',
        rooms: [userRoom(account.user_id)],
        data: { balanceCents: after },
      });
    }
  }
  await appendEvents(trx, events);
  await notifyMany(trx, notifications);
  return { completed: posted.length, failed: outcomes.length - posted.length };
}

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
      // Money from someone either side blocked (or the recipient mutes) arrives without a notification.
      actorId: transfer.kind === 'transfer' ? transfer.from?.id : undefined,
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
