// SQL of one-time codes and reset tokens: stored as SHA-256, consumed by deleting (single use). Reset tokens
// are 160 random bits, found by their hash: no try counter, nothing to guess.
import { timingSafeEqual } from 'node:crypto';
import { sha256 } from '@oslojs/crypto/sha2';
import type { Executor } from '../db/database.ts';
import type { CodePurpose } from '../db/schema.ts';
import { newId } from '../lib/ids.ts';

/** The stored form: bound to user and purpose, so a code for one flow never opens another. */
export const hashCode = (userId: string, purpose: CodePurpose, code: string): Uint8Array =>
  sha256(new TextEncoder().encode(`${purpose}:${userId}:${code}`));

export const hashResetToken = (token: string): Uint8Array =>
  sha256(new TextEncoder().encode(`password_reset:${token}`));

/**
 * Stores a new secret for (user, purpose), replacing the earlier one (one row per pair, migration 0016):
 * only the latest email's code works, with a fresh try count. One statement: no transaction needed.
 */
export async function replaceCode(
  db: Executor,
  code: { userId: string; purpose: CodePurpose; codeHash: Uint8Array; expiresAt: Date },
): Promise<void> {
  await db
    .insertInto('one_time_codes')
    .values({
      id: newId(),
      user_id: code.userId,
      purpose: code.purpose,
      code_hash: code.codeHash,
      expires_at: code.expiresAt,
    })
    .onConflict((oc) =>
      oc.columns(['user_id', 'purpose']).doUpdateSet((eb) => ({
        id: eb.ref('excluded.id'),
        code_hash: eb.ref('excluded.code_hash'),
        expires_at: eb.ref('excluded.expires_at'),
        attempts: 0,
        created_at: new Date(),
      })),
    )
    .execute();
}

/**
 * A code's user deleted under the request that issued it (a stale registration replaced meanwhile): the
 * insert's foreign key fails, and the request answers as for an unknown address.
 */
export const userVanished = (error: unknown): boolean => (error as { code?: string })?.code === '23503';

/** A 6-digit code has a million values: five wrong tries leave an attacker a 1-in-200,000 chance. */
export const MAX_CODE_ATTEMPTS = 5;

/**
 * Counts a try against the live code of (user, purpose) before comparing, and deletes it when it matched.
 * The UPDATE locks the row, and a racing try re-reads `attempts` once the one before it committed, so
 * however many requests arrive at once, from however many addresses, at most MAX_CODE_ATTEMPTS are ever
 * compared; after that the code is dead (a new code starts again at 0). Run it in the transaction that
 * uses the code: a right code that something else then refuses rolls back with its count.
 */
export async function tryCode(
  trx: Executor,
  code: { userId: string; purpose: CodePurpose; codeHash: Uint8Array },
): Promise<boolean> {
  const rows = await trx
    .updateTable('one_time_codes')
    .set((eb) => ({ attempts: eb('attempts', '+', 1) }))
    .where('user_id', '=', code.userId)
    .where('purpose', '=', code.purpose)
    .where('expires_at', '>', new Date())
    .where('attempts', '<', MAX_CODE_ATTEMPTS)
    .returning(['id', 'code_hash'])
    .execute();
  const match = rows.find((row) => sameBytes(row.code_hash, code.codeHash));
  if (!match) return false;
  await trx.deleteFrom('one_time_codes').where('id', '=', match.id).execute();
  return true;
}

const sameBytes = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && timingSafeEqual(a, b);

/** Deletes an unexpired reset token and returns its user, or null. */
export async function consumeResetToken(db: Executor, tokenHash: Uint8Array): Promise<string | null> {
  const row = await db
    .deleteFrom('one_time_codes')
    .where('purpose', '=', 'password_reset')
    .where('code_hash', '=', tokenHash)
    .where('expires_at', '>', new Date())
    .returning('user_id')
    .executeTakeFirst();
  return row?.user_id ?? null;
}

export async function deleteCodes(db: Executor, userId: string, purpose: CodePurpose): Promise<void> {
  await db
    .deleteFrom('one_time_codes')
    .where('user_id', '=', userId)
    .where('purpose', '=', purpose)
    .execute();
}
