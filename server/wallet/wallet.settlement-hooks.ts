// What settlement needs and what other features plug into it: the hooks a transfer kind runs when it settles.
import type { Transfer, TransferKind } from '@plaza/client/protocol';
import type { Db, Trx } from '../db/database.ts';
import type { MediaUrls } from '../media/media.objects.ts';

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
  /** The avatar URLs of the transfers' parties (`mediaStoreOf(config)`). */
  urls: MediaUrls;
}

export interface SettlementResult {
  completed: number;
  failed: number;
}

/** The dedupe key of a transfer's settlement notification: one per transfer, whoever sends it first. */
export const transferDedupeKey = (transferId: string): string => `transfer:${transferId}`;
