// SQL of wallet accounts and transfers (the settlement's SQL lives in wallet.settlement.ts).
import { sql } from 'kysely';
import type { Executor } from '../db/database.ts';
import type { TransferRow } from '../db/schema.ts';
import { newId } from '../lib/ids.ts';

/** The system issuer's account (created by the migration): mints come from it and it may go negative. */
export const ISSUER_ACCOUNT_ID = 'ffffffff-ffff-ffff-ffff-ffffffffffff';

/** A transfer with its parties' public names, ready to become a wire `Transfer`. */
export interface TransferView extends TransferRow {
  from_username: string | null;
  from_display_name: string | null;
  from_avatar_key: string | null;
  to_username: string;
  to_display_name: string;
  to_avatar_key: string | null;
}

/** The user's account id, created on first use; concurrent first uses agree on one row. */
export async function ensureUserAccount(db: Executor, userId: string): Promise<string> {
  // Read first: an INSERT … ON CONFLICT on an existing account would wait for any settlement
  // updating its balance (a unique check waits for the row's in-progress new version).
  const existing = await db
    .selectFrom('wallet_accounts')
    .select('id')
    .where('user_id', '=', userId)
    .executeTakeFirst();
  if (existing) return existing.id;
  const inserted = await db
    .insertInto('wallet_accounts')
    .values({ id: newId(), user_id: userId, kind: 'user' })
    .onConflict((oc) => oc.column('user_id').doNothing())
    .returning('id')
    .executeTakeFirst();
  if (inserted) return inserted.id;
  // The conflicting insert has committed (ON CONFLICT waited for it), so this statement sees it.
  const row = await db
    .selectFrom('wallet_accounts')
    .select('id')
    .where('user_id', '=', userId)
    .executeTakeFirstOrThrow();
  return row.id;
}

export interface Party {
  id: string;
  username: string;
  display_name: string;
  avatar_key: string | null;
  /** null until the user's first transfer creates it. */
  account_id: string | null;
}

/** The users taking part in a transfer, with their accounts if they have one: one query. */
export async function findParties(db: Executor, userIds: readonly string[]): Promise<Map<string, Party>> {
  const rows = await db
    .selectFrom('users as u')
    .leftJoin('wallet_accounts as a', 'a.user_id', 'u.id')
    .select(['u.id', 'u.username', 'u.display_name', 'u.avatar_key', 'a.id as account_id'])
    .where('u.id', 'in', userIds)
    .execute();
  return new Map(rows.map((r) => [r.id, r]));
}

/** The user's balance and the part of it held (ticket money of events not ended); zeros before any transfer. */
export async function findFunds(db: Executor, userId: string): Promise<{ balance: number; held: number }> {
  const row = await db
    .selectFrom('wallet_accounts')
    .select(['balance_cents', 'held_cents'])
    .where('user_id', '=', userId)
    .executeTakeFirst();
  return { balance: row?.balance_cents ?? 0, held: row?.held_cents ?? 0 };
}

/**
 * What the user can still commit to pay: balance − held − what their pending transfers already promise
 * (0 without an account). Read without locks: settlement remains the judge of every transfer.
 */
export async function findSpendable(db: Executor, userId: string): Promise<number> {
  const { rows } = await sql<{ spendable: number }>`
    select a.balance_cents - a.held_cents - coalesce((select sum(t.amount_cents) from transfers t
      where t.from_account_id = a.id and t.status = 'pending'), 0) as spendable
    from wallet_accounts a where a.user_id = ${userId}`.execute(db);
  return Number(rows[0]?.spendable ?? 0);
}

export async function findTransferByKey(
  db: Executor,
  fromAccountId: string,
  idempotencyKey: string,
): Promise<TransferRow | undefined> {
  return db
    .selectFrom('transfers')
    .selectAll()
    .where('from_account_id', '=', fromAccountId)
    .where('idempotency_key', '=', idempotencyKey)
    .executeTakeFirst();
}

/** The refund of a ticket, if it has one (at most one: a unique index). */
export async function findRefundOf(db: Executor, ticketId: string): Promise<TransferRow | undefined> {
  return db.selectFrom('transfers').selectAll().where('refund_of', '=', ticketId).executeTakeFirst();
}

/**
 * Inserts the transfer; undefined when what makes it unique was taken meanwhile: the ticket it refunds
 * (a refund), else the sender's idempotency key (users' and mints'; the server's transfers carry none).
 */
export async function insertTransfer(
  db: Executor,
  values: Omit<TransferRow, 'status' | 'failure_reason' | 'settled_seq' | 'created_at' | 'completed_at'>,
): Promise<TransferRow | undefined> {
  return db
    .insertInto('transfers')
    .values(values)
    .onConflict((oc) =>
      values.refund_of !== null
        ? oc.column('refund_of').where('refund_of', 'is not', null).doNothing()
        : oc
            .columns(['from_account_id', 'idempotency_key'])
            .where('idempotency_key', 'is not', null)
            .doNothing(),
    )
    .returningAll()
    .executeTakeFirst();
}

function transferViews(db: Executor) {
  return db
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
    ]);
}

export async function findTransferViews(db: Executor, ids: readonly string[]): Promise<TransferView[]> {
  if (ids.length === 0) return [];
  return transferViews(db).where('t.id', 'in', ids).execute();
}

/**
 * A page of the user's transfers, sent or received, newest first (UUIDv7 ids follow creation time).
 * Each side is read from its own index, limited, then merged: no OR scan over the whole table.
 */
export async function listTransferPage(
  db: Executor,
  userId: string,
  beforeId: string | null,
  limit: number,
): Promise<TransferView[]> {
  const before = beforeId ? sql`and id < ${beforeId}` : sql``;
  const ids = sql`
    (select id from transfers where from_user_id = ${userId} ${before} order by id desc limit ${limit})
    union all
    (select id from transfers where to_user_id = ${userId} ${before} order by id desc limit ${limit})`;
  return transferViews(db)
    .where(sql<boolean>`t.id in (${ids})`)
    .orderBy('t.id', 'desc')
    .limit(limit)
    .execute();
}

/** Pending transfers older than `olderThanMs`: their settlement job may have been lost. */
export async function listStalePending(db: Executor, olderThanMs: number, limit: number): Promise<string[]> {
  const rows = await db
    .selectFrom('transfers')
    .select('id')
    .where('status', '=', 'pending')
    .where('created_at', '<', sql<Date>`now() - make_interval(secs => ${olderThanMs / 1000})`)
    .orderBy('created_at')
    .limit(limit)
    .execute();
  return rows.map((r) => r.id);
}
