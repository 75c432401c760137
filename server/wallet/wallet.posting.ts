// Posting a batch of locked pending transfers: lock their accounts, decide each in order (wallet.funds.ts),
// write the ledger entries, held money and statuses, then the hooks, pushes and notifications — all in the
// caller's transaction, so everything commits together or not at all.
//
// Set-based: a fixed number of statements per batch, whatever its size — the accounts locked in id order
// (one SELECT), seqs (one), every status and entry (one: the balances move in its ledger trigger, one UPDATE
// per batch aggregated per account), the pushes (one) and notifications (one). Held money and hooks add
// statements only for the tickets and refunds among them. Arrays are sent as one parameter per column.
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

  // The wire objects, built before the account locks below: JavaScript time between the statements that
  // follow is time every other settlement of these accounts waits. Only the outcome is filled in later.
  const drafts = pending.map((row) => ({
    row,
    transfer: transferViewToTransfer({ ...row, failure_reason: null, completed_at: null }, deps.urls),
  }));
  const accountIds = [...new Set(pending.flatMap((t) => [t.from_account_id, t.to_account_id]))];
  // One statement whatever the batch size (prepared): the accounts, locked in id order.
  const { rows: accounts } = await sql<{
    id: string;
    kind: 'user' | 'issuer';
    user_id: string | null;
    balance_cents: number;
    held_cents: number;
  }>`/* prepare:settlement-accounts */
    select id, kind, user_id, balance_cents, held_cents from wallet_accounts
    where id = any(${accountIds}::uuid[]) order by id for no key update`.execute(trx);
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
      /* prepare:settlement-seqs */ select nextval('transfers_settled_seq') as seq
      from generate_series(1, ${pending.length})`.execute(trx);
  const seqs = seqRows.map((r) => r.seq).sort((a, b) => a - b);

  const decisions = decideFunding(pending, funds, holds);
  const outcomes = pending.map((row, i) => ({ row, funded: decisions[i]!.funded, seq: seqs[i]! }));

  // Held money moves around the entries so that 0 <= held <= balance holds after every statement (the
  // CHECK is not deferrable): refunds free their held money before the entries lower the balance, tickets
  // hold theirs once the entries raised it.
  const held = heldChangesOf(pending, decisions, existingHolds);
  await addHeld(trx, held.lowered, -1);
  // Every outcome and every ledger entry in ONE statement (prepared; the ledger's checks, migrations/0024,
  // run at its end and need both): the transfers take their status, seq and time — read by primary key in
  // a loop over the arrays, whatever the plan — and each completed one's two entries are inserted from the
  // row just updated (amounts and accounts as stored). The ledger trigger moves the balances, once per
  // account; the CHECKs refuse an overdraft of the balance or of held money even if the decisions above erred.
  const ids = outcomes.map((o) => o.row.id);
  const updated = await sql<{ id: string; completed_at: Date }>`/* prepare:settlement-post */
    with outcome as (
      update transfers t set status = v.status, failure_reason = v.reason, settled_seq = v.seq,
        completed_at = clock_timestamp()
      from unnest(${ids}::uuid[], ${outcomes.map((o) => (o.funded ? 'completed' : 'failed'))}::text[],
        ${outcomes.map((o) => (o.funded ? null : INSUFFICIENT_FUNDS))}::text[],
        ${outcomes.map((o) => o.seq)}::bigint[]) as v (id, status, reason, seq)
      where t.id = v.id and t.status = 'pending'
      returning t.id, t.status, t.from_account_id, t.to_account_id, t.amount_cents, t.completed_at
    ), entries as (
      insert into ledger_entries (transfer_id, account_id, amount_cents)
      select o.id, e.account_id, e.amount_cents
      from outcome o
      cross join lateral (values (1, o.from_account_id, -o.amount_cents), (2, o.to_account_id, o.amount_cents))
        as e (leg, account_id, amount_cents)
      where o.status = 'completed'
      order by o.id, e.leg
    )
    select id, completed_at from outcome`.execute(trx);
  // The rows are locked, so every one must have moved; anything else is a bug: roll back everything.
  if (updated.rows.length !== outcomes.length) throw new Error('settlement lost a transfer it had locked');
  const posted = outcomes.filter((o) => o.funded);
  // Tickets hold their money once the entries raised the balance.
  await addHeld(trx, held.raised, 1);
  await writeHolds(trx, held);
  const completedAt = new Map(updated.rows.map((r) => [r.id, r.completed_at]));

  const events: NewEvent[] = [];
  const notifications: NewNotification[] = [];
  const settledForHooks: SettledTransfer[] = [];
  outcomes.forEach((o, i) => {
    const transfer: Transfer = {
      ...drafts[i]!.transfer,
      status: o.funded ? 'completed' : 'failed',
      failureReason: o.funded ? null : INSUFFICIENT_FUNDS,
      completedAt: (completedAt.get(o.row.id) ?? new Date()).toISOString(),
    };
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
  });
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
