// Wallet rules: recording transfers (idempotently) for settlement by the workers, balances and history.
import { createHash } from 'node:crypto';
import type { Page, Transfer, TransferKind, Wallet } from '@plaza/client/protocol';
import { type Actor, hasRole, userRoom } from '../auth/actor.ts';
import type { Executor, Trx } from '../db/database.ts';
import type { Deps } from '../deps.ts';
import { AppError, forbidden, notFound, unauthenticated, validationFailed } from '../lib/errors.ts';
import { isUuid, newId } from '../lib/ids.ts';
import { decodeCursor, type PageQuery, toPage } from '../lib/pagination.ts';
import type { MediaUrls } from '../media/media.objects.ts';
import { mediaStoreOf } from '../media/store.factory.ts';
import { appendEvent } from '../realtime/event-log.ts';
import { refuseIfBlockedBy } from '../safety/safety.guards.ts';
import { findLiveUserIdByUsername } from '../social/social.repository.ts';
import { wakeSettlement } from './wallet.jobs.ts';
import { transferLimit } from './wallet.limits.ts';
import { transferViewToTransfer } from './wallet.objects.ts';
import {
  ensureUserAccount,
  findFunds,
  findParties,
  findRefundOf,
  findSpendable,
  findTransferByKey,
  findTransferViews,
  ISSUER_ACCOUNT_ID,
  insertTransfer,
  listTransferPage,
} from './wallet.repository.ts';
import {
  type CreateTransferInput,
  MAX_MEMO_LENGTH,
  MAX_TRANSFER_CENTS,
  type MintInput,
} from './wallet.schema.ts';

type WalletDeps = Pick<Deps, 'db' | 'queues' | 'logger' | 'config' | 'redis'>;

/** What any feature may ask the wallet to move; settled later by the workers. */
export interface TransferRequest {
  kind: TransferKind;
  /** null: the system issuer (only for `mint`). */
  fromUserId: string | null;
  toUserId: string;
  amountCents: number;
  memo?: string;
  /**
   * The key a user (or an admin minting) chose: unique per sender, asking again with the same key returns
   * the first transfer. Only `transfer` and `mint` carry one: the server's own transfers never share this
   * namespace with keys users write (see `refundOf`).
   */
  idempotencyKey?: string;
  /** For a `refund` (and only then): the ticket it pays back. One refund per ticket; asking again returns it. */
  refundOf?: string;
  /** What the transfer pays for, e.g. `event:<id>`, for the feature's settlement hook. */
  reference?: string;
}

export interface RequestedTransfer {
  transfer: Transfer;
  /** false when the idempotency key returned an earlier transfer. */
  created: boolean;
}

const requestHash = (r: TransferRequest) =>
  createHash('sha256')
    .update(
      JSON.stringify([r.kind, r.fromUserId, r.toUserId, r.amountCents, r.memo ?? '', r.reference ?? null]),
    )
    .digest('base64url');

function checkRequest(r: TransferRequest): void {
  const problems: Array<{ path: string[]; message: string }> = [];
  if (!Number.isInteger(r.amountCents) || r.amountCents < 1 || r.amountCents > MAX_TRANSFER_CENTS) {
    problems.push({ path: ['amountCents'], message: `must be an integer from 1 to ${MAX_TRANSFER_CENTS}` });
  }
  if ((r.memo ?? '').length > MAX_MEMO_LENGTH) {
    problems.push({ path: ['memo'], message: `at most ${MAX_MEMO_LENGTH} characters` });
  }
  if (r.fromUserId === r.toUserId) problems.push({ path: ['to'], message: 'cannot send money to yourself' });
  if ((r.kind === 'mint') !== (r.fromUserId === null)) {
    problems.push({ path: ['kind'], message: 'only mints come from the issuer' });
  }
  // Programming errors rather than input: the database refuses these too (migration 0012).
  if (r.idempotencyKey !== undefined && r.kind !== 'transfer' && r.kind !== 'mint') {
    throw new Error(`a ${r.kind} transfer cannot take a user's idempotency key`);
  }
  if ((r.kind === 'refund') !== (r.refundOf !== undefined)) {
    throw new Error('a refund, and only a refund, names the ticket it pays back');
  }
  if (problems.length > 0) throw validationFailed(problems);
}

async function viewOf(trx: Trx, id: string, urls: MediaUrls): Promise<Transfer> {
  const [view] = await findTransferViews(trx, [id]);
  if (!view) throw notFound('Transfer');
  return transferViewToTransfer(view, urls);
}

/**
 * Records a `pending` transfer in the caller's transaction (with its `transfer:updated` push); the
 * workers settle it. After commit, call `enqueueSettlement` for latency; if that is lost, the
 * sweeper settles it within seconds anyway.
 */
export async function requestTransfer(
  trx: Trx,
  request: TransferRequest,
  urls: MediaUrls,
): Promise<RequestedTransfer> {
  checkRequest(request);
  const hash = requestHash(request);
  // Few round trips: this runs inside requests (and other features' transactions).
  const parties = await findParties(
    trx,
    request.fromUserId ? [request.fromUserId, request.toUserId] : [request.toUserId],
  );
  const to = parties.get(request.toUserId);
  const from = request.fromUserId ? parties.get(request.fromUserId) : null;
  if (!to || from === undefined) throw notFound('User');
  const fromAccountId = from
    ? (from.account_id ?? (await ensureUserAccount(trx, from.id)))
    : ISSUER_ACCOUNT_ID;
  const toAccountId = to.account_id ?? (await ensureUserAccount(trx, to.id));
  const row = await insertTransfer(trx, {
    id: newId(),
    kind: request.kind,
    from_user_id: request.fromUserId,
    to_user_id: request.toUserId,
    from_account_id: fromAccountId,
    to_account_id: toAccountId,
    amount_cents: request.amountCents,
    memo: request.memo ?? '',
    idempotency_key: request.idempotencyKey ?? null,
    request_hash: request.idempotencyKey ? hash : null,
    reference: request.reference ?? null,
    refund_of: request.refundOf ?? null,
  });
  if (!row && request.refundOf !== undefined) {
    // Refunded before (or by a concurrent request, committed by now): that refund is the answer.
    const existing = await findRefundOf(trx, request.refundOf);
    if (!existing) throw new Error('refund conflict without a refund');
    return { transfer: await viewOf(trx, existing.id, urls), created: false };
  }
  if (!row) {
    // The key was used before (or by a concurrent request, committed by now): that transfer is the answer.
    const existing = await findTransferByKey(trx, fromAccountId, request.idempotencyKey ?? '');
    if (!existing) throw new Error('idempotency key conflict without a transfer');
    if (existing.request_hash !== hash) {
      throw new AppError('idempotency_conflict', 'This Idempotency-Key was used for a different request');
    }
    return { transfer: await viewOf(trx, existing.id, urls), created: false };
  }
  const transfer = transferViewToTransfer(
    {
      ...row,
      from_username: from?.username ?? null,
      from_display_name: from?.display_name ?? null,
      from_avatar_key: from?.avatar_key ?? null,
      to_username: to.username,
      to_display_name: to.display_name,
      to_avatar_key: to.avatar_key,
    },
    urls,
  );
  await appendEvent(trx, {
    type: 'transfer:updated',
    topic: 'me',
    rooms: [request.fromUserId, request.toUserId].filter((id): id is string => id !== null).map(userRoom),
    data: { transfer },
  });
  return { transfer, created: true };
}

/**
 * Wakes the settlement of pending transfers (one deduplicated job for all of them: see wallet.jobs.ts).
 * Never fails the caller: if the wake-up is lost, the sweeper settles the transfer within seconds.
 */
export async function enqueueSettlement(
  deps: Pick<Deps, 'queues' | 'logger'>,
  transferId: string,
): Promise<void> {
  try {
    await wakeSettlement(deps.queues);
  } catch (error) {
    deps.logger.warn({ err: error, transferId }, 'settlement not queued; the sweeper will pick it up');
  }
}

async function recordAndEnqueue(deps: WalletDeps, build: (trx: Trx) => Promise<RequestedTransfer>) {
  const result = await deps.db.transaction().execute(build);
  if (result.transfer.status === 'pending') await enqueueSettlement(deps, result.transfer.id);
  return result;
}

/**
 * The recipient of money: 404 for a deleted account's husk as for no account at all — money sent there
 * could never be spent nor returned.
 */
async function payableUserId(deps: Pick<WalletDeps, 'db'>, username: string): Promise<string> {
  const id = await findLiveUserIdByUsername(deps.db, username);
  if (!id) throw notFound('User');
  return id;
}

export async function createTransfer(
  deps: WalletDeps,
  actor: Actor | null,
  input: CreateTransferInput & { idempotencyKey: string },
): Promise<RequestedTransfer> {
  if (!actor) throw unauthenticated();
  // Replays of one idempotency key count too: the limit is on requests, before any work is done.
  await transferLimit(deps).consume(actor.userId);
  const toUserId = await payableUserId(deps, input.to);
  if (toUserId === actor.userId)
    throw validationFailed([{ path: ['to'], message: 'cannot send money to yourself' }]);
  await refuseIfBlockedBy(deps.db, actor, toUserId);
  return recordAndEnqueue(deps, (trx) =>
    requestTransfer(
      trx,
      {
        kind: 'transfer',
        fromUserId: actor.userId,
        toUserId,
        amountCents: input.amountCents,
        memo: input.memo,
        idempotencyKey: input.idempotencyKey,
      },
      mediaStoreOf(deps.config),
    ),
  );
}

/** New money from the issuer to a user (admins only). */
export async function mintMoney(
  deps: WalletDeps,
  actor: Actor | null,
  input: MintInput & { idempotencyKey?: string },
): Promise<RequestedTransfer> {
  if (!hasRole(actor, 'admin')) throw forbidden();
  const toUserId = await payableUserId(deps, input.username);
  return recordAndEnqueue(deps, (trx) =>
    requestTransfer(
      trx,
      {
        kind: 'mint',
        fromUserId: null,
        toUserId,
        amountCents: input.amountCents,
        memo: input.memo,
        idempotencyKey: input.idempotencyKey,
      },
      mediaStoreOf(deps.config),
    ),
  );
}

/**
 * Cents the user can still commit to a new payment: balance − held − pending outgoing transfers. For
 * refusing payments up front (a paid join); settlement still decides, as money may leave meanwhile.
 */
export async function spendableCents(db: Executor, userId: string): Promise<number> {
  return findSpendable(db, userId);
}

/** The balance (as the contract has it) and, additively, the part of it held until events end. */
export async function getWallet(deps: WalletDeps, actor: Actor): Promise<Wallet> {
  const { balance, held } = await findFunds(deps.db, actor.userId);
  return { balanceCents: balance, heldCents: held, currency: deps.config.currency };
}

export async function listMyTransfers(
  deps: WalletDeps,
  actor: Actor,
  query: PageQuery,
): Promise<Page<Transfer>> {
  let beforeId: string | null = null;
  if (query.cursor) {
    const [id] = decodeCursor(query.cursor, 1);
    if (typeof id !== 'string' || !isUuid(id)) {
      throw validationFailed([{ path: ['cursor'], message: 'invalid cursor' }]);
    }
    beforeId = id;
  }
  const rows = await listTransferPage(deps.db, actor.userId, beforeId, query.limit + 1);
  const urls = mediaStoreOf(deps.config);
  return toPage(
    rows,
    query.limit,
    (row) => transferViewToTransfer(row, urls),
    (r) => [r.id],
  );
}

/** One transfer, for its parties only: to anyone else it does not exist. */
export async function getTransfer(deps: WalletDeps, actor: Actor, id: string): Promise<Transfer> {
  if (!isUuid(id)) throw notFound('Transfer');
  const [view] = await findTransferViews(deps.db, [id]);
  if (!view || (view.from_user_id !== actor.userId && view.to_user_id !== actor.userId)) {
    throw notFound('Transfer');
  }
  return transferViewToTransfer(view, mediaStoreOf(deps.config));
}
