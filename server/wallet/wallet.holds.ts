// SQL of held money: reading and moving holds inside a settlement, and releasing one (exactly once).
//
// Every writer of an account's holds or held_cents first locks the account row FOR NO KEY UPDATE (the
// settlers' lock), so holds need no locks of their own and the lock order stays "accounts, then holds".
import { sql } from 'kysely';
import type { Trx } from '../db/database.ts';
import { type FundedTransfer, type FundingDecision, type HoldFunds, holdKey } from './wallet.funds.ts';

/** The holds that exist among `keys`, read under the caller's locks on their accounts. */
export async function loadHolds(
  trx: Trx,
  keys: ReadonlyArray<{ accountId: string; reference: string }>,
): Promise<Map<string, HoldFunds>> {
  if (keys.length === 0) return new Map();
  const pairs = keys.map((k) => sql`(${k.accountId}::uuid, ${k.reference}::text)`);
  const { rows } = await sql<{
    account_id: string;
    reference: string;
    held_cents: number;
    released: boolean;
  }>`
    select account_id, reference, held_cents, released_at is not null as released from wallet_holds
    where (account_id, reference) in (${sql.join(pairs)})`.execute(trx);
  return new Map(
    rows.map((r) => [holdKey(r.account_id, r.reference), { held: r.held_cents, released: r.released }]),
  );
}

/** What a settlement's decisions do to held money, as the writes below take it. */
export interface HeldChanges {
  /** Accounts whose held money refunds paid out: lowered BEFORE the ledger entries lower the balance. */
  lowered: Map<string, number>;
  /** Accounts whose held money tickets raised: raised AFTER the entries raise the balance. */
  raised: Map<string, number>;
  /** Net change of holds that existed before this settlement. */
  updated: Map<string, { accountId: string; reference: string; delta: number }>;
  /** Holds this settlement opens, with what they hold at its end (0 if refunded in the same batch). */
  opened: Map<string, { accountId: string; reference: string; held: number }>;
}

export function heldChangesOf(
  transfers: readonly FundedTransfer[],
  decisions: readonly FundingDecision[],
  existing: ReadonlySet<string>,
): HeldChanges {
  const changes: HeldChanges = {
    lowered: new Map(),
    raised: new Map(),
    updated: new Map(),
    opened: new Map(),
  };
  const add = (map: Map<string, number>, id: string, cents: number) =>
    map.set(id, (map.get(id) ?? 0) + cents);
  const moveHold = (accountId: string, reference: string, delta: number) => {
    const key = holdKey(accountId, reference);
    if (existing.has(key)) {
      const entry = changes.updated.get(key) ?? { accountId, reference, delta: 0 };
      changes.updated.set(key, { ...entry, delta: entry.delta + delta });
    } else {
      const entry = changes.opened.get(key) ?? { accountId, reference, held: 0 };
      changes.opened.set(key, { ...entry, held: entry.held + delta });
    }
  };
  transfers.forEach((t, i) => {
    const decision = decisions[i]!;
    if (decision.fromHold && t.reference !== null) {
      add(changes.lowered, t.from_account_id, t.amount_cents);
      moveHold(t.from_account_id, t.reference, -t.amount_cents);
    }
    if (decision.intoHold && t.reference !== null) {
      add(changes.raised, t.to_account_id, t.amount_cents);
      moveHold(t.to_account_id, t.reference, t.amount_cents);
    }
  });
  return changes;
}

/** Adds `delta` per account to held_cents; the CHECK (0 <= held <= balance) is checked per statement. */
export async function addHeld(trx: Trx, deltas: ReadonlyMap<string, number>, sign: 1 | -1): Promise<void> {
  if (deltas.size === 0) return;
  const values = [...deltas].map(([id, cents]) => sql`(${id}::uuid, ${sign * cents}::bigint)`);
  await sql`update wallet_accounts a set held_cents = a.held_cents + v.delta
    from (values ${sql.join(values)}) as v(id, delta) where a.id = v.id`.execute(trx);
}

/** Writes the holds' new amounts; every hold touched must be open (decided so under the account locks). */
export async function writeHolds(trx: Trx, changes: HeldChanges): Promise<void> {
  if (changes.updated.size > 0) {
    const values = [...changes.updated.values()].map(
      (u) => sql`(${u.accountId}::uuid, ${u.reference}::text, ${u.delta}::bigint)`,
    );
    const result = await sql`update wallet_holds h set held_cents = h.held_cents + v.delta
      from (values ${sql.join(values)}) as v(account_id, reference, delta)
      where h.account_id = v.account_id and h.reference = v.reference and h.released_at is null`.execute(trx);
    if (Number(result.numAffectedRows ?? 0) !== changes.updated.size) {
      throw new Error('settlement found a hold released under its account lock');
    }
  }
  if (changes.opened.size > 0) {
    // No ON CONFLICT: only settlers holding the account's lock open its holds, so a conflict is a bug.
    await trx
      .insertInto('wallet_holds')
      .values(
        [...changes.opened.values()].map((o) => ({
          account_id: o.accountId,
          reference: o.reference,
          held_cents: o.held,
        })),
      )
      .execute();
  }
}

/**
 * Releases the account's hold for `reference`: its money becomes available. Exactly once: the account is
 * locked first (as settlers lock it, so no ticket or refund of that account is being decided meanwhile),
 * then the hold is closed by a guarded update; a second or concurrent release finds it closed and
 * returns null. Returns the released cents otherwise. Runs in the caller's transaction.
 * `stillDue`, asked after the account's lock, lets the feature that owns the reference re-check under its
 * own lock that the release is still due (false: nothing is released, null is returned).
 */
export async function releaseHold(
  trx: Trx,
  accountId: string,
  reference: string,
  stillDue: (trx: Trx) => Promise<boolean> = async () => true,
): Promise<number | null> {
  await trx.selectFrom('wallet_accounts').select('id').where('id', '=', accountId).forNoKeyUpdate().execute();
  if (!(await stillDue(trx))) return null;
  const { rows } = await sql<{ held_cents: number }>`
    update wallet_holds set released_at = now(), released_seq = nextval('transfers_settled_seq')
    where account_id = ${accountId} and reference = ${reference} and released_at is null
    returning held_cents`.execute(trx);
  const released = rows[0];
  if (!released) return null;
  if (released.held_cents > 0) await addHeld(trx, new Map([[accountId, released.held_cents]]), -1);
  return released.held_cents;
}
