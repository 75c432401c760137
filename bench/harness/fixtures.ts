// Data the scenarios start from: users with sessions (the test factory), posts in bulk.
import { sql } from 'kysely';
import type { Db } from '../../server/db/database.ts';
import { createUser, type TestUser } from '../../test/helpers/factories.ts';
import { pool } from './scenario.ts';

export async function createUsers(
  db: Db,
  count: number,
  overrides: { role?: 'admin' } = {},
): Promise<TestUser[]> {
  return pool(count, 8, () => createUser(db, overrides));
}

/** `count` posts by `authors`, newest first spaced a second apart, with some likes and comments counted. */
export async function seedPosts(db: Db, authors: TestUser[], count: number): Promise<void> {
  const ids = authors.map((a) => a.id);
  await sql`
    insert into posts (id, author_id, body, created_at, like_count, comment_count)
    select gen_random_uuid(), (${sql.val(ids)}::uuid[])[1 + (n % ${ids.length})],
      'Seeded post number ' || n || ': ' || repeat('lorem ipsum ', 8),
      now() - make_interval(secs => n), n % 17, n % 5
    from generate_series(1, ${count}) as n`.execute(db);
  await sql`analyze posts`.execute(db);
}
