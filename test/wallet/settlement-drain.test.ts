// The settlement drain driven in-process on real PostgreSQL and Redis: a poisoned transfer fails only
// itself, drains and explicit settlers running at once settle every transfer exactly once, and a
// wake-up sent while a drain runs is kept for after it (no transfer waits for the sweeper).
import { type Job, Worker } from 'bullmq';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bullPrefix, Queues } from '../../server/jobs/queues.ts';
import { createLogger } from '../../server/lib/logger.ts';
import { closeRedis, createRedis } from '../../server/lib/redis.ts';
import { wakeSettlement } from '../../server/wallet/wallet.jobs.ts';
import { requestTransfer, type TransferRequest } from '../../server/wallet/wallet.service.ts';
import { SettlementHooks, settleTransfers } from '../../server/wallet/wallet.settlement.ts';
import { PendingDrain } from '../../workers/transfers.drain.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { createUser, type TestUser } from '../helpers/factories.ts';
import { testMediaUrls } from '../helpers/fixtures.ts';
import { waitFor } from '../helpers/wait.ts';
import { checkLedger } from './ledger-checks.ts';

let ctx: TestContext;
let redis: ReturnType<typeof createRedis>;
let queues: Queues;
let users: TestUser[];
const logger = createLogger('silent', 'test');
const settlement = () => ({ db: ctx.db, currency: 'EUR', hooks: new SettlementHooks(), urls: testMediaUrls });
const newDrain = (batch = 50, lanes = 2) =>
  new PendingDrain({ settlement: settlement(), queues, logger }, { batch, lanes, maxRunMs: 30_000 });

beforeAll(async () => {
  ctx = await createTestContext();
  redis = createRedis(ctx.redisUrl, 'commands', 'drain-test');
  queues = new Queues(redis, ctx.redisPrefix);
  users = await Promise.all(Array.from({ length: 6 }, () => createUser(ctx.db)));
  const mints = await record(
    users.map((u) => ({ toUserId: u.id, amountCents: 5_000, kind: 'mint' as const })),
  );
  await settleTransfers(settlement(), mints);
});

afterAll(async () => {
  await checkLedger(ctx.db);
  await queues?.close();
  if (redis) await closeRedis(redis);
  await ctx?.close();
});

type Ask = Partial<TransferRequest> & Pick<TransferRequest, 'toUserId' | 'amountCents'>;

/** Records pending transfers (no wake-up sent), returns their ids. */
async function record(asks: Ask[]): Promise<string[]> {
  return ctx.db.transaction().execute(async (trx) => {
    const ids: string[] = [];
    for (const ask of asks) {
      const kind = ask.kind ?? 'transfer';
      const fromUserId = kind === 'mint' ? null : (ask.fromUserId ?? null);
      const { transfer } = await requestTransfer(trx, { ...ask, kind, fromUserId }, testMediaUrls);
      ids.push(transfer.id);
    }
    return ids;
  });
}

const between = (i: number): Ask => ({
  fromUserId: users[i % users.length]!.id,
  toUserId: users[(i + 1 + (i % (users.length - 1))) % users.length]!.id,
  amountCents: 1 + ((i * 37) % 400),
  memo: `#${i}`,
});

async function statuses(ids: string[]): Promise<Map<string, string>> {
  const rows = await ctx.db.selectFrom('transfers').select(['id', 'status']).where('id', 'in', ids).execute();
  return new Map(rows.map((r) => [r.id, r.status]));
}

describe('settlement drain', () => {
  it('isolates a poisoned transfer: its batch settles one by one, later batches skip it, it settles once cured', async () => {
    // A fault only this transfer's settlement hits (as a hook bug or a bad row would).
    await sql`create function poison() returns trigger language plpgsql as $$
      begin raise exception 'poisoned transfer'; end $$`.execute(ctx.db);
    // At commit, like the ledger's own deferred checks: the hardest place for a batch to fail.
    await sql`create constraint trigger poison after update on transfers
      deferrable initially deferred for each row
      when (new.memo = 'poison') execute function poison()`.execute(ctx.db);
    const innocent = await record([between(1), between(2), between(3)]);
    const [poisoned] = await record([{ ...between(4), memo: 'poison' }]);
    const drain = newDrain();

    await drain.run();
    // The batch failed whole; each of its transfers now has a settlement job of its own.
    const own = await queues.get('transfers').getJobs(['waiting']);
    expect(own.map((j) => j.data).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)))).toEqual(
      [...innocent, poisoned!]
        .map((transferId) => ({ task: 'settle', transferId }))
        .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
    );

    // Later transfers are not held up: the drain leaves the isolated ones to their jobs.
    const [later] = await record([between(5)]);
    expect(await drain.run()).toBe(1);
    expect((await statuses([later!])).get(later!)).toBe('completed');

    // The jobs settle their transfers alone: the innocent ones at once, the poisoned one fails alone.
    for (const id of innocent) await settleTransfers(settlement(), [id]);
    await expect(settleTransfers(settlement(), [poisoned!])).rejects.toThrow(/poisoned transfer/);
    const after = await statuses([...innocent, poisoned!]);
    expect(innocent.map((id) => after.get(id))).toEqual(['completed', 'completed', 'completed']);
    expect(after.get(poisoned!)).toBe('pending');

    await sql`drop trigger poison on transfers`.execute(ctx.db);
    await settleTransfers(settlement(), [poisoned!]);
    expect((await statuses([poisoned!])).get(poisoned!)).toBe('completed');
    await queues.get('transfers').obliterate({ force: true });
    await checkLedger(ctx.db);
  });

  it('settles every transfer exactly once with drains and explicit settlers running at once', async () => {
    const ids = await record(Array.from({ length: 600 }, (_, i) => between(i)));
    const explicit = async (offset: number) => {
      for (let i = offset; i < ids.length; i += 97) await settleTransfers(settlement(), ids.slice(i, i + 7));
    };
    await Promise.all([newDrain(40, 2).run(), newDrain(25, 2).run(), explicit(0), explicit(50)]);
    await newDrain().run();
    const after = await statuses(ids);
    expect([...after.values()].filter((s) => s === 'pending')).toEqual([]);
    const { rows } = await sql<{ n: number }>`
      select count(*)::int as n from ledger_entries e join transfers t on t.id = e.transfer_id
      where t.id = any(${ids}::uuid[])`.execute(ctx.db);
    const completed = [...after.values()].filter((s) => s === 'completed').length;
    expect(rows[0]!.n).toBe(2 * completed);
    const { rows: notes } = await sql<{ n: number }>`
      select count(*)::int as n from notifications where dedupe_key = any(${ids.map((id) => `transfer:${id}`)})`.execute(
      ctx.db,
    );
    expect(notes[0]!.n).toBe(ids.length);
    await checkLedger(ctx.db);
  });

  it('keeps a wake-up sent while a drain runs, and runs it after that drain', async () => {
    const ran: string[] = [];
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const connection = createRedis(ctx.redisUrl, 'blocking', 'drain-test-worker');
    const worker = new Worker(
      'transfers',
      async (job: Job) => {
        ran.push(job.id!);
        if (ran.length === 1) await held;
      },
      { connection, prefix: bullPrefix(ctx.redisPrefix) },
    );
    try {
      await wakeSettlement(queues);
      await waitFor(() => ran.length === 1, { what: 'the first wake-up to run' });
      // Sent while the first runs (a transfer committed after its last look): kept, not dropped.
      await wakeSettlement(queues);
      await wakeSettlement(queues);
      release();
      await waitFor(() => ran.length === 2, { what: 'the kept wake-up to run' });
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(ran).toHaveLength(2);
    } finally {
      release();
      await worker.close();
      await closeRedis(connection);
    }
  });
});
