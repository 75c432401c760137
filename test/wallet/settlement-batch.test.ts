// One settlement batch, set-based (one statement posts every outcome and entry): decided in id order as if
// one by one — an account that runs out midway settles its earlier transfers and fails the later ones, money
// received earlier in the batch funds a later transfer — with one balance push per account and exact counts.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestTransfer } from '../../server/wallet/wallet.service.ts';
import { SettlementHooks, settleTransfers } from '../../server/wallet/wallet.settlement.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { createUser, type TestUser } from '../helpers/factories.ts';
import { testMediaUrls } from '../helpers/fixtures.ts';
import { checkLedger } from './ledger-checks.ts';

let ctx: TestContext;
const settlement = () => ({ db: ctx.db, currency: 'EUR', hooks: new SettlementHooks(), urls: testMediaUrls });

beforeAll(async () => {
  ctx = await createTestContext();
});

afterAll(async () => {
  await checkLedger(ctx.db);
  await ctx?.close();
});

interface Ask {
  from: TestUser | null;
  to: TestUser;
  amountCents: number;
}

/** Records the transfers in order, in one transaction; returns their ids (UUIDv7: ascending). */
async function record(asks: Ask[]): Promise<string[]> {
  return ctx.db.transaction().execute(async (trx) => {
    const ids: string[] = [];
    for (const ask of asks) {
      const { transfer } = await requestTransfer(
        trx,
        {
          kind: ask.from ? 'transfer' : 'mint',
          fromUserId: ask.from?.id ?? null,
          toUserId: ask.to.id,
          amountCents: ask.amountCents,
        },
        testMediaUrls,
      );
      ids.push(transfer.id);
    }
    return ids;
  });
}

async function balanceOf(user: TestUser): Promise<number> {
  const row = await ctx.db
    .selectFrom('wallet_accounts')
    .select('balance_cents')
    .where('user_id', '=', user.id)
    .executeTakeFirstOrThrow();
  return row.balance_cents;
}

describe('a settlement batch', () => {
  it('decides in id order: an account running out midway fails only its later transfers, money received earlier in the batch funds later ones', async () => {
    const [ann, ben, cat] = await Promise.all([createUser(ctx.db), createUser(ctx.db), createUser(ctx.db)]);
    await settleTransfers(settlement(), await record([{ from: null, to: ann!, amountCents: 100 }]));
    // Ben and Cat have accounts but nothing in them.
    await settleTransfers(
      settlement(),
      await record([
        { from: null, to: ben!, amountCents: 1 },
        { from: null, to: cat!, amountCents: 1 },
      ]),
    );
    const asks: Array<Ask & { settles: boolean }> = [
      { from: ann!, to: ben!, amountCents: 40, settles: true }, // ann 60, ben 41
      { from: ann!, to: cat!, amountCents: 50, settles: true }, // ann 10, cat 51
      { from: ann!, to: ben!, amountCents: 30, settles: false }, // ann has 10
      { from: ben!, to: ann!, amountCents: 35, settles: true }, // ben 6, ann 45: funded by the first
      { from: ann!, to: cat!, amountCents: 45, settles: true }, // ann 0, cat 96: funded by the fourth
      { from: ann!, to: ben!, amountCents: 1, settles: false }, // ann has nothing left
      { from: cat!, to: ann!, amountCents: 97, settles: false }, // cat has 96
      { from: cat!, to: ann!, amountCents: 96, settles: true }, // exactly all of it: cat 0, ann 96
      { from: ben!, to: cat!, amountCents: 6, settles: true }, // ben 0, cat 6
    ];
    const ids = await record(asks);
    expect([...ids].sort()).toEqual(ids);

    // One call, in shuffled order: the batch is decided in id order whatever the caller passes.
    const result = await settleTransfers(settlement(), [...ids].reverse());
    expect(result).toEqual({
      completed: asks.filter((a) => a.settles).length,
      failed: asks.filter((a) => !a.settles).length,
    });

    const rows = await ctx.db
      .selectFrom('transfers')
      .select(['id', 'status', 'failure_reason', 'settled_seq'])
      .where('id', 'in', ids)
      .orderBy('id')
      .execute();
    expect(rows.map((r) => r.status)).toEqual(asks.map((a) => (a.settles ? 'completed' : 'failed')));
    expect(
      rows.filter((r) => r.status === 'failed').every((r) => r.failure_reason === 'insufficient_funds'),
    ).toBe(true);
    // Seqs follow id order within the batch (the ledger replay in checkLedger relies on it).
    const seqs = rows.map((r) => r.settled_seq!);
    expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);

    expect(await balanceOf(ann!)).toBe(96);
    expect(await balanceOf(ben!)).toBe(0);
    expect(await balanceOf(cat!)).toBe(6);

    // One balance push per account, with the balance this batch committed; one settlement push per transfer.
    const { rows: pushes } = await sql<{ rooms: string[]; balance: number }>`
      select rooms, (data->>'balanceCents')::int as balance from event_log
      where type = 'wallet:updated' and rooms && ${[ann!, ben!, cat!].map((u) => `user:${u.id}`)}::text[]
        and id > (select min(id) from event_log where type = 'transfer:updated'
          and data->'transfer'->>'id' = ${ids[0]!})`.execute(ctx.db);
    expect(pushes.map((p) => [p.rooms[0], p.balance]).sort()).toEqual(
      [
        [`user:${ann!.id}`, 96],
        [`user:${ben!.id}`, 0],
        [`user:${cat!.id}`, 6],
      ].sort(),
    );
    const { rows: settledPushes } = await sql<{ id: string; status: string }>`
      select data->'transfer'->>'id' as id, data->'transfer'->>'status' as status from event_log
      where type = 'transfer:updated' and data->'transfer'->>'id' = any(${ids}::text[])
        and data->'transfer'->>'status' <> 'pending'`.execute(ctx.db);
    expect(new Map(settledPushes.map((p) => [p.id, p.status]))).toEqual(
      new Map(ids.map((id, i) => [id, asks[i]!.settles ? 'completed' : 'failed'])),
    );

    // Settling again is a no-op.
    expect(await settleTransfers(settlement(), ids)).toEqual({ completed: 0, failed: 0 });
  });

  it('settles many transfers of the same two accounts in one batch, both ways, with exact unread counts', async () => {
    const [dan, eve] = await Promise.all([createUser(ctx.db), createUser(ctx.db)]);
    await settleTransfers(
      settlement(),
      await record([
        { from: null, to: dan!, amountCents: 50 },
        { from: null, to: eve!, amountCents: 1 },
      ]),
    );
    // 300 transfers both ways: per three, dan pays eve 1 and 2 cents and eve pays 1 back, so dan runs dry
    // a third of the way through and from then on has only what eve sends back to spend.
    const asks: Ask[] = Array.from({ length: 300 }, (_, i) =>
      i % 3 === 2
        ? { from: eve!, to: dan!, amountCents: 1 }
        : { from: dan!, to: eve!, amountCents: 1 + (i % 3) },
    );
    const ids = await record(asks);
    await settleTransfers(settlement(), ids);

    // The same decisions made one by one.
    const balance = new Map([
      [dan!.id, 50],
      [eve!.id, 1],
    ]);
    const expected = asks.map((a) => {
      const from = balance.get(a.from!.id)!;
      if (from < a.amountCents) return 'failed';
      balance.set(a.from!.id, from - a.amountCents);
      balance.set(a.to.id, balance.get(a.to.id)! + a.amountCents);
      return 'completed';
    });
    const rows = await ctx.db
      .selectFrom('transfers')
      .select(['status'])
      .where('id', 'in', ids)
      .orderBy('id')
      .execute();
    expect(rows.map((r) => r.status)).toEqual(expected);
    expect(expected).toContain('failed');
    expect(await balanceOf(dan!)).toBe(balance.get(dan!.id));
    expect(await balanceOf(eve!)).toBe(balance.get(eve!.id));

    // The unread counters count every notification the batch sent each of them, exactly.
    const { rows: counts } = await sql<{ user_id: string; unread: number; actual: number }>`
      select c.user_id, c.unread,
        (select count(*)::int from notifications n where n.user_id = c.user_id and n.read_at is null) as actual
      from notification_counters c where c.user_id in (${dan!.id}, ${eve!.id})`.execute(ctx.db);
    expect(counts).toHaveLength(2);
    for (const c of counts) expect(c.unread).toBe(c.actual);
  });
});
