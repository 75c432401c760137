// SQL of one-time codes and reset tokens: stored as SHA-256, consumed by deleting (single use).
import { sha256 } from '@oslojs/crypto/sha2';
import type { Executor } from '../db/database.ts';
import type { CodePurpose } from '../db/schema.ts';
import { newId } from '../lib/ids.ts';

/** The stored form: bound to user and purpose, so a code for one flow never opens another. */
export const hashCode = (userId: string, purpose: CodePurpose, code: string): Uint8Array =>
  sha256(new TextEncoder().encode(`${purpose}:${userId}:${code}`));

export const hashResetToken = (token: string): Uint8Array =>
  sha256(new TextEncoder().encode(`password_reset:${token}`));

/** Stores a new secret for (user, purpose), replacing earlier ones: only the latest email's code works. */
export async function replaceCode(
  db: Executor,
  code: { userId: string; purpose: CodePurpose; codeHash: Uint8Array; expiresAt: Date },
): Promise<void> {
  await db
    .deleteFrom('one_time_codes')
    .where('user_id', '=', code.userId)
    .where('purpose', '=', code.purpose)
    .execute();
  await db
    .insertInto('one_time_codes')
    .values({
      id: newId(),
      user_id: code.userId,
      purpose: code.purpose,
      code_hash: code.codeHash,
      expires_at: code.expiresAt,
    })
    .execute();
}

/** Deletes a matching, unexpired code; true when there was one. Concurrent uses: only one wins the delete. */
export async function consumeCode(
  db: Executor,
  code: { userId: string; purpose: CodePurpose; codeHash: Uint8Array },
): Promise<boolean> {
  const row = await db
    .deleteFrom('one_time_codes')
    .where('user_id', '=', code.userId)
    .where('purpose', '=', code.purpose)
    .where('code_hash', '=', code.codeHash)
    .where('expires_at', '>', new Date())
    .returning('id')
    .executeTakeFirst();
  return row !== undefined;
}

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
