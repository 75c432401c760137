// Keyset cursors over (timestamp, uuid) sort keys, the shape most lists use (newest or oldest first).

import { AppError } from './errors.ts';
import { isUuid } from './ids.ts';
import { decodeCursor } from './pagination.ts';

export interface TimeKey {
  at: Date;
  id: string;
}

const invalid = () =>
  new AppError('validation_failed', 'The cursor is not valid', {
    issues: [{ path: 'cursor', message: 'invalid cursor' }],
  });

/** The (timestamp, id) key a cursor carries, or 400 validation_failed. */
export function decodeTimeCursor(cursor: string | undefined): TimeKey | null {
  if (cursor === undefined) return null;
  const [at, id] = decodeCursor(cursor, 2);
  if (typeof at !== 'string' || typeof id !== 'string' || !isUuid(id)) throw invalid();
  const date = new Date(at);
  if (Number.isNaN(date.getTime())) throw invalid();
  return { at: date, id };
}

/** The cursor parts of a row keyed by (timestamp, id). */
export const timeKeyOf = (at: Date, id: string): [string, string] => [at.toISOString(), id];
