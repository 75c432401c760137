// Ledger invariants every wallet test ends with: what the database holds must add up, whatever happened.
import { sql } from 'kysely';
import { expect } from 'vitest';
import type { Db } from '../../server/db/database.ts';

export interface LedgerSummary {
  completed: number;
  failed: number;
  pending: number;
}

/**
 * Balances = sums of entries; entries sum to zero; no user below zero; completed transfers have two
 * entries and failed ones none; and replaying the settled transfers one by one, in settlement order,
 * gives the same balances — every completion was funded and every failure was not, at its turn.
 */
export async function checkLedger(db: Db): Promise<LedgerSummary> {
  const { rows: drift } = await sql<{ id: string }>`
    select a.id from wallet_accounts a
    left join (select account_id, sum(amount_cents) as total from ledger_entries group by account_id) e
      on e.account_id = a.id
    where a.balance_cents <> coalesce(e.total, 0)`.execute(db);
  expect(drift).toEqual([]);

  const { rows: totals } = await sql<{ total: number | null }>`
    select sum(amount_cents) as total from ledger_entries`.execute(db);
  expect(totals[0]?.total ?? 0).toBe(0);

  const { rows: negative } = await sql<{ id: string }>`
    select id from wallet_accounts where kind = 'user' and balance_cents < 0`.execute(db);
  expect(negative).toEqual([]);

  const { rows: wrongEntries } = await sql<{ id: string; status: string; entries: number }>`
    select t.id, t.status, (select count(*) from ledger_entries e where e.transfer_id = t.id) as entries
    from transfers t`.execute(db);
  for (const t of wrongEntries)
    expect(t.entries, `${t.status} transfer ${t.id}`).toBe(t.status === 'completed' ? 2 : 0);

  // Seen once too: one notification and one settlement push per settled transfer (plus the creation push).
  const { rows: noisy } = await sql<{ id: string; notes: number; pushes: number }>`
    select t.id, coalesce(n.c, 0) as notes, coalesce(e.c, 0) as pushes
    from transfers t
    left join (select dedupe_key, count(*) as c from notifications group by dedupe_key) n
      on n.dedupe_key = 'transfer:' || t.id
    left join (select data->'transfer'->>'id' as id, count(*) as c from event_log
      where type = 'transfer:updated' group by 1) e on e.id = t.id::text
    where t.status <> 'pending'`.execute(db);
  expect(noisy.filter((t) => t.notes !== 1 || t.pushes !== 2)).toEqual([]);

  const accounts = await db.selectFrom('wallet_accounts').select(['id', 'kind', 'balance_cents']).execute();
  const issuer = new Set(accounts.filter((a) => a.kind === 'issuer').map((a) => a.id));
  const settled = await db
    .selectFrom('transfers')
    .select(['id', 'status', 'from_account_id', 'to_account_id', 'amount_cents', 'failure_reason'])
    .where('status', '<>', 'pending')
    .orderBy('settled_seq')
    .execute();
  const replay = new Map<string, number>();
  for (const t of settled) {
    const available = replay.get(t.from_account_id) ?? 0;
    const funded = issuer.has(t.from_account_id) || available >= t.amount_cents;
    expect(funded, `transfer ${t.id} ${t.status} with ${available} available`).toBe(t.status === 'completed');
    if (t.status === 'failed') expect(t.failure_reason).toBe('insufficient_funds');
    if (funded) {
      replay.set(t.from_account_id, available - t.amount_cents);
      replay.set(t.to_account_id, (replay.get(t.to_account_id) ?? 0) + t.amount_cents);
    }
  }
  for (const a of accounts) expect(a.balance_cents, `account ${a.id}`).toBe(replay.get(a.id) ?? 0);

  const count = (status: string) => wrongEntries.filter((t) => t.status === status).length;
  return { completed: count('completed'), failed: count('failed'), pending: count('pending') };
}
