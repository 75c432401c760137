// Which transfers of a settlement are funded, decided in order from the locked accounts' balances and
// holds: no SQL here, so the rules read in one place (and the tests' ledger replay can mirror them).
//
// - Spendable money is the AVAILABLE part of a balance: balance − held.
// - A completed `event_ticket` puts its amount on hold in the recipient's account under the transfer's
//   reference, unless that reference's hold was already released (then it is ordinary balance).
// - A `refund` whose reference has an open hold holding enough is paid out of that hold: always funded,
//   whatever the organizer spent meanwhile. Otherwise (released, or no hold) it is paid from available money.
import type { TransferKind } from '@plaza/client/protocol';
import type { TransferRow } from '../db/schema.ts';

export const INSUFFICIENT_FUNDS = 'insufficient_funds';

/** Kinds whose money is held by the recipient under the transfer's reference until it is released. */
const HELD_KINDS: ReadonlySet<TransferKind> = new Set(['event_ticket']);

export type FundedTransfer = Pick<
  TransferRow,
  'kind' | 'from_account_id' | 'to_account_id' | 'amount_cents' | 'reference'
>;

export interface AccountFunds {
  balance: number;
  held: number;
  /** The issuer creates money: always funded, never holds. */
  issuer: boolean;
}

export interface HoldFunds {
  held: number;
  released: boolean;
}

/** The key of a hold: one per account and reference. */
export const holdKey = (accountId: string, reference: string): string => `${accountId}|${reference}`;

export interface FundingDecision {
  funded: boolean;
  /** Paid out of the sender's open hold for the reference (a refund). */
  fromHold: boolean;
  /** Put on hold in the recipient's account under the reference (a ticket). */
  intoHold: boolean;
}

/**
 * The hold keys a batch may read or write: the recipient's for held kinds, the sender's for refunds.
 * The caller loads those holds (after locking the accounts) so `decideFunding` sees every one that exists.
 */
export function holdKeysOf(
  transfers: readonly FundedTransfer[],
): Array<{ accountId: string; reference: string }> {
  const keys = new Map<string, { accountId: string; reference: string }>();
  for (const t of transfers) {
    if (t.reference === null) continue;
    if (HELD_KINDS.has(t.kind))
      keys.set(holdKey(t.to_account_id, t.reference), { accountId: t.to_account_id, reference: t.reference });
    if (t.kind === 'refund')
      keys.set(holdKey(t.from_account_id, t.reference), {
        accountId: t.from_account_id,
        reference: t.reference,
      });
  }
  return [...keys.values()];
}

/**
 * Decides each transfer in order, each seeing the money left by the ones before it. `accounts` and
 * `holds` are updated in place to the state this settlement commits (a hold missing from `holds` does
 * not exist yet; one is added when a ticket opens it).
 */
export function decideFunding(
  transfers: readonly FundedTransfer[],
  accounts: Map<string, AccountFunds>,
  holds: Map<string, HoldFunds>,
): FundingDecision[] {
  return transfers.map((t) => {
    const from = accountOf(accounts, t.from_account_id);
    const to = accountOf(accounts, t.to_account_id);
    const amount = t.amount_cents;
    const sourceHold =
      t.kind === 'refund' && t.reference !== null
        ? holds.get(holdKey(t.from_account_id, t.reference))
        : undefined;
    const fromHold = sourceHold !== undefined && !sourceHold.released && sourceHold.held >= amount;
    const funded = from.issuer || fromHold || from.balance - from.held >= amount;
    if (!funded) return { funded, fromHold: false, intoHold: false };

    from.balance -= amount;
    if (fromHold) {
      from.held -= amount;
      sourceHold.held -= amount;
    }
    to.balance += amount;
    let intoHold = false;
    if (HELD_KINDS.has(t.kind) && t.reference !== null && !to.issuer) {
      const key = holdKey(t.to_account_id, t.reference);
      const hold = holds.get(key);
      if (!hold?.released) {
        intoHold = true;
        to.held += amount;
        holds.set(key, { held: (hold?.held ?? 0) + amount, released: false });
      }
    }
    return { funded, fromHold, intoHold };
  });
}

function accountOf(accounts: Map<string, AccountFunds>, id: string): AccountFunds {
  const account = accounts.get(id);
  // Every party's account is locked and loaded before deciding; a missing one is a bug.
  if (!account) throw new Error(`account ${id} was not loaded for settlement`);
  return account;
}
