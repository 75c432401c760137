// Keyset pagination: opaque cursors carrying the last row's sort key; never OFFSET.
import { z } from '@hono/zod-openapi';
import { AppError } from './errors.ts';

export const pageQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().max(512).optional(),
});

export type PageQuery = z.infer<typeof pageQuerySchema>;

export function encodeCursor(key: ReadonlyArray<string | number>): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

/** Decodes a cursor made by encodeCursor with `arity` parts, or answers 400 validation_failed. */
export function decodeCursor(cursor: string, arity: number): Array<string | number> {
  try {
    const key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (
      Array.isArray(key) &&
      key.length === arity &&
      key.every((part) => typeof part === 'string' || typeof part === 'number')
    ) {
      return key as Array<string | number>;
    }
  } catch {
    // fall through
  }
  throw new AppError('validation_failed', 'The cursor is not valid', {
    issues: [{ path: 'cursor', message: 'invalid cursor' }],
  });
}

/** Given limit + 1 fetched rows, the page and the cursor of its last item (null on the last page). */
export function toPage<Row, Item>(
  rows: Row[],
  limit: number,
  map: (row: Row) => Item,
  keyOf: (row: Row) => ReadonlyArray<string | number>,
): { items: Item[]; nextCursor: string | null } {
  const more = rows.length > limit;
  const pageRows = more ? rows.slice(0, limit) : rows;
  const last = pageRows[pageRows.length - 1];
  return { items: pageRows.map(map), nextCursor: more && last ? encodeCursor(keyOf(last)) : null };
}
