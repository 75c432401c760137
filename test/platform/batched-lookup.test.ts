// Concurrent lookups share one query per turn of the event loop; inside a transaction they run alone on it.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { batchedLookup } from '../../server/db/batched-lookup.ts';
import type { Executor } from '../../server/db/database.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { createUser } from '../helpers/factories.ts';

let ctx: TestContext;

beforeAll(async () => {
  ctx = await createTestContext();
});

afterAll(async () => {
  await ctx.close();
});

describe('batchedLookup', () => {
  const batches: number[] = [];
  const usernameById = batchedLookup<string, string>(async (db: Executor, ids) => {
    batches.push(ids.length);
    const { rows } = await sql<{ id: string; username: string }>`
      select id, username from users where id = any(${ids as string[]}::uuid[])`.execute(db);
    return new Map(rows.map((r) => [r.id, r.username]));
  });

  it('answers the calls of one turn with one query, each with its own row (or none)', async () => {
    const users = await Promise.all(Array.from({ length: 5 }, () => createUser(ctx.db)));
    batches.length = 0;
    const missing = '00000000-0000-7000-8000-000000000000';
    const names = await Promise.all([
      ...users.map((u) => usernameById(ctx.db, u.id)),
      usernameById(ctx.db, missing),
    ]);
    expect(names).toEqual([...users.map((u) => u.username), undefined]);
    expect(batches).toEqual([6]);
  });

  it('reads uncommitted rows inside a transaction, on its connection', async () => {
    batches.length = 0;
    const id = '00000000-0000-7000-8000-00000000abcd';
    const name = await ctx.db
      .transaction()
      .execute(async (trx) => {
        await sql`insert into users (id, email, username, display_name, password_hash)
          values (${id}::uuid, 'tx@example.test', 'tx_user', 'Tx', 'x')`.execute(trx);
        const seen = await usernameById(trx, id);
        throw Object.assign(new Error('rollback'), { seen });
      })
      .catch((error: { seen?: string }) => error.seen);
    expect(name).toBe('tx_user');
    expect(await usernameById(ctx.db, id)).toBeUndefined();
    expect(batches).toEqual([1, 1]);
  });

  it('fails every call of a batch whose query fails', async () => {
    const failing = batchedLookup<string, string>(async () => {
      throw new Error('database away');
    });
    const results = await Promise.allSettled([failing(ctx.db, 'a'), failing(ctx.db, 'b')]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
  });
});
