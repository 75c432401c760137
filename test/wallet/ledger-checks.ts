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
 * entries and failed ones none; and replaying the settled transfers one by one, in settlement order
 * (hold releases in theirs), gives the same balances and held money — every completion was funded and
 * every failure was not, at its turn.
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
  // A deleted account's notifications went with it (server/account/deletion.ts): none is expected there.
  const { rows: noisy } = await sql<{ id: string; notes: number; pushes: number }>`
    select t.id, coalesce(n.c, 0) + (case when r.deleted_at is null then 0 else 1 end) as notes,
      coalesce(e.c, 0) as pushes
    from transfers t
    join users r on r.id = t.to_user_id
    left join (select dedupe_key, count(*) as c from notifications group by dedupe_key) n
      on n.dedupe_key = 'transfer:' || t.id
    left join (select data->'transfer'->>'id' as id, count(*) as c from event_log
      where type = 'transfer:updated' group by 1) e on e.id = t.id::text
    where t.status <> 'pending'`.execute(db);
  expect(noisy.filter((t) => t.notes !== 1 || t.pushes !== 2)).toEqual([]);

  // Replayed with held money: tickets held under their reference until the hold's release (ordered
  // among settlements by its released_seq), refunds paid from an open hold, the rest from available money.
  const accounts = await db
    .selectFrom('wallet_accounts')
    .select(['id', 'kind', 'balance_cents', 'held_cents'])
    .execute();
  const issuer = new Set(accounts.filter((a) => a.kind === 'issuer').map((a) => a.id));
  const settled = await db
    .selectFrom('transfers')
    .select([
      'id',
      'kind',
      'status',
      'from_account_id',
      'to_account_id',
      'amount_cents',
      'failure_reason',
      'reference',
      'settled_seq',
    ])
    .where('status', '<>', 'pending')
    .orderBy('settled_seq')
    .execute();
  const holdRows = await db.selectFrom('wallet_holds').selectAll().execute();
  const releases = holdRows
    .filter((h) => h.released_seq !== null)
    .sort((a, b) => (a.released_seq ?? 0) - (b.released_seq ?? 0));
  // Written apart from the server's rules (wallet.funds.ts), so that a mistake there shows here.
  const funds = new Map(accounts.map((a) => [a.id, { balance: 0, held: 0 }]));
  const holdKey = (account: string, reference: string | null) => `${account}|${reference}`;
  const holds = new Map<string, { held: number; released: boolean }>();
  const released = new Map<string, number>();
  let nextRelease = 0;
  const releaseUpTo = (seq: number) => {
    for (; nextRelease < releases.length && (releases[nextRelease]!.released_seq ?? 0) < seq; nextRelease++) {
      const r = releases[nextRelease]!;
      const key = holdKey(r.account_id, r.reference);
      const hold = holds.get(key) ?? { held: 0, released: false };
      funds.get(r.account_id)!.held -= hold.held;
      released.set(key, hold.held);
      holds.set(key, { held: hold.held, released: true });
    }
  };
  for (const t of settled) {
    releaseUpTo(t.settled_seq ?? 0);
    const from = funds.get(t.from_account_id)!;
    const to = funds.get(t.to_account_id)!;
    const available = from.balance - from.held;
    const source = t.kind === 'refund' ? holds.get(holdKey(t.from_account_id, t.reference)) : undefined;
    const fromHold = !!source && !source.released && source.held >= t.amount_cents;
    const funded = issuer.has(t.from_account_id) || fromHold || available >= t.amount_cents;
    expect(funded, `transfer ${t.id} ${t.status} with ${available} available`).toBe(t.status === 'completed');
    if (t.status === 'failed') expect(t.failure_reason).toBe('insufficient_funds');
    if (!funded) continue;
    from.balance -= t.amount_cents;
    to.balance += t.amount_cents;
    if (fromHold) {
      from.held -= t.amount_cents;
      source.held -= t.amount_cents;
    }
    const target = holdKey(t.to_account_id, t.reference);
    if (t.kind === 'event_ticket' && t.reference !== null && !holds.get(target)?.released) {
      to.held += t.amount_cents;
      holds.set(target, { held: (holds.get(target)?.held ?? 0) + t.amount_cents, released: false });
    }
  }
  releaseUpTo(Number.POSITIVE_INFINITY);
  for (const a of accounts) {
    expect(a.balance_cents, `account ${a.id}`).toBe(funds.get(a.id)?.balance ?? 0);
    expect(a.held_cents, `held of account ${a.id}`).toBe(funds.get(a.id)?.held ?? 0);
  }
  // Each hold holds (or released) exactly what the replay says.
  for (const h of holdRows) {
    const key = holdKey(h.account_id, h.reference);
    const expected = h.released_at ? released.get(key) : holds.get(key)?.held;
    expect(h.held_cents, `hold ${key}`).toBe(expected ?? 0);
  }

  const count = (status: string) => wrongEntries.filter((t) => t.status === status).length;
  return { completed: count('completed'), failed: count('failed'), pending: count('pending') };
}
