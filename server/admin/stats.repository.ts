// Row counts for the admin overview. Tables of features not deployed yet count as 0 instead of failing.
import { sql } from 'kysely';
import type { Executor } from '../db/database.ts';

export type CountedTable = 'users' | 'posts' | 'events';

/** Exact count of a table's rows, or 0 when the table does not exist (to_regclass is null). */
export async function countRows(db: Executor, table: CountedTable): Promise<number> {
  const { rows } = await sql<{
    present: boolean;
  }>`select to_regclass(${table}) is not null as present`.execute(db);
  if (!rows[0]?.present) return 0;
  const counted = await sql<{ n: number }>`select count(*)::int8 as n from ${sql.table(table)}`.execute(db);
  return counted.rows[0]?.n ?? 0;
}
