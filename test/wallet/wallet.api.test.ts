import type { Transfer } from '@plaza/client/protocol';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../server/app.ts';
import type { Queues } from '../../server/jobs/queues.ts';
import {
  type SettledTransfer,
  SettlementHooks,
  settleTransfers,
} from '../../server/wallet/wallet.settlement.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { bearer, createUser, type TestUser } from '../helpers/factories.ts';
import { testMediaUrls } from '../helpers/fixtures.ts';
import { createInProcessApp, type InProcessApp } from '../helpers/in-process-app.ts';
import { checkLedger } from './ledger-checks.ts';

let ctx: TestContext;
let app: App;
let inProcess: InProcessApp;
let queues: Queues;
let admin: TestUser;
let ada: TestUser;
let bob: TestUser;
let eve: TestUser;
const settledHooks: SettledTransfer[] = [];
let settle: (ids: string[]) => ReturnType<typeof settleTransfers>;

beforeAll(async () => {
  ctx = await createTestContext();
  inProcess = createInProcessApp(ctx);
  ({ app } = inProcess);
  ({ queues } = inProcess.deps);
  [admin, ada, bob, eve] = await Promise.all([
    createUser(ctx.db, { role: 'admin' }),
    createUser(ctx.db),
    createUser(ctx.db),
    createUser(ctx.db),
  ]);
  const hooks = new SettlementHooks().on('mint', async (_trx, settled) => {
    settledHooks.push(settled);
  });
  settle = (ids) => settleTransfers({ db: ctx.db, currency: 'EUR', hooks, urls: testMediaUrls }, ids);
});

afterAll(async () => {
  await checkLedger(ctx.db);
  await inProcess.close();
  await ctx.close();
});

let keys = 0;
const send = (user: TestUser | null, body: unknown, key: string | null = `key-${++keys}`) =>
  app.request('/api/v1/transfers', {
    method: 'POST',
    body: JSON.stringify(body),
    headers: {
      'content-type': 'application/json',
      ...(user ? bearer(user) : {}),
      ...(key === null ? {} : { 'idempotency-key': key }),
    },
  });
const mint = (user: TestUser, body: unknown, key?: string) =>
  app.request('/api/v1/admin/mint', {
    method: 'POST',
    body: JSON.stringify(body),
    headers: {
      'content-type': 'application/json',
      ...bearer(user),
      ...(key ? { 'idempotency-key': key } : {}),
    },
  });
const get = (user: TestUser | null, path: string) =>
  app.request(`/api/v1${path}`, { headers: user ? bearer(user) : {} });
const errorCode = async (res: Response) => ((await res.json()) as { error: { code: string } }).error.code;

async function mintSettled(user: TestUser, amountCents: number): Promise<Transfer> {
  const res = await mint(admin, { username: user.username, amountCents });
  expect(res.status).toBe(202);
  const transfer = (await res.json()) as Transfer;
  await settle([transfer.id]);
  return transfer;
}

describe('sending money (POST /transfers)', () => {
  it('records a pending transfer (202), wakes the settlement (one deduplicated job for all), and pushes it to both parties', async () => {
    const res = await send(ada, { to: bob.username.toUpperCase(), amountCents: 500, memo: 'lunch' });
    expect(res.status).toBe(202);
    const transfer = (await res.json()) as Transfer;
    expect(transfer).toMatchObject({
      kind: 'transfer',
      from: { id: ada.id, username: ada.username },
      to: { id: bob.id, username: bob.username },
      amountCents: 500,
      memo: 'lunch',
      status: 'pending',
      failureReason: null,
      completedAt: null,
    });
    // No job per transfer: one wake-up settles whatever is pending, however many transfers asked for it.
    expect(await queues.get('transfers').getJob(transfer.id)).toBeUndefined();
    const second = await send(bob, { to: ada.username, amountCents: 1 });
    expect(second.status).toBe(202);
    const waiting = await queues.get('transfers').getJobs(['waiting', 'prioritized', 'delayed']);
    expect(waiting.map((j) => j.data)).toEqual([{ task: 'settle-pending' }]);
    const { rows } = await sql<{ rooms: string[] }>`
      select rooms from event_log where type = 'transfer:updated' and data->'transfer'->>'id' = ${transfer.id}`.execute(
      ctx.db,
    );
    expect(rows.map((r) => [...r.rooms].sort())).toEqual([[`user:${ada.id}`, `user:${bob.id}`].sort()]);
  });

  it('answers the same key and body with the same transfer (200) and another body with 409 idempotency_conflict', async () => {
    const first = await send(ada, { to: bob.username, amountCents: 700 }, 'same-key');
    expect(first.status).toBe(202);
    const again = await send(ada, { to: bob.username, amountCents: 700 }, 'same-key');
    expect(again.status).toBe(200);
    expect(((await again.json()) as Transfer).id).toBe(((await first.json()) as Transfer).id);
    const other = await send(ada, { to: bob.username, amountCents: 701 }, 'same-key');
    expect(other.status).toBe(409);
    expect(await errorCode(other)).toBe('idempotency_conflict');
    // The key belongs to its sender: another sender may use it for their own transfer.
    expect((await send(bob, { to: ada.username, amountCents: 1 }, 'same-key')).status).toBe(202);
    const { n } = await ctx.db
      .selectFrom('transfers')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('idempotency_key', '=', 'same-key')
      .executeTakeFirstOrThrow();
    expect(n).toBe(2);
  });

  it('requires the Idempotency-Key header (1..100 characters)', async () => {
    for (const key of [null, 'k'.repeat(101)]) {
      const res = await send(ada, { to: bob.username, amountCents: 1 }, key);
      expect(res.status).toBe(400);
      expect(await errorCode(res)).toBe('validation_failed');
    }
  });

  it('refuses bad amounts, long memos, unknown recipients, oneself, and anonymous callers', async () => {
    for (const body of [
      { to: bob.username, amountCents: 0 },
      { to: bob.username, amountCents: 1.5 },
      { to: bob.username, amountCents: 1_000_000_001 },
      { to: bob.username, amountCents: '5' },
      { to: bob.username, amountCents: 5, memo: 'm'.repeat(201) },
      { amountCents: 5 },
      { to: ada.username, amountCents: 5 },
    ]) {
      const res = await send(ada, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(await errorCode(res)).toBe('validation_failed');
    }
    const unknown = await send(ada, { to: 'nobody_here', amountCents: 5 });
    expect(unknown.status).toBe(404);
    expect(await errorCode(unknown)).toBe('not_found');
    expect((await send(null, { to: bob.username, amountCents: 5 })).status).toBe(401);
    const { n } = await ctx.db
      .selectFrom('transfers')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('amount_cents', 'in', [0, 5])
      .executeTakeFirstOrThrow();
    expect(n).toBe(0);
  });
});

describe('settlement', () => {
  it('posts a funded transfer as two entries and fails an unfunded one with insufficient_funds, notifying once', async () => {
    await mintSettled(eve, 1_000);
    const ok = (await (await send(eve, { to: ada.username, amountCents: 600 })).json()) as Transfer;
    const short = (await (await send(eve, { to: ada.username, amountCents: 600 })).json()) as Transfer;
    // Together in one batch: the second sees what the first left.
    expect(await settle([short.id, ok.id])).toEqual({ completed: 1, failed: 1 });
    // A retried or duplicated job changes nothing.
    expect(await settle([ok.id, short.id])).toEqual({ completed: 0, failed: 0 });

    const done = (await (await get(eve, `/transfers/${ok.id}`)).json()) as Transfer;
    expect(done).toMatchObject({ status: 'completed', failureReason: null });
    expect(done.completedAt).not.toBeNull();
    const failed = (await (await get(eve, `/transfers/${short.id}`)).json()) as Transfer;
    expect(failed).toMatchObject({ status: 'failed', failureReason: 'insufficient_funds' });
    expect(await (await get(eve, '/wallet')).json()).toEqual({
      balanceCents: 400,
      heldCents: 0,
      currency: 'EUR',
    });

    const entries = await ctx.db
      .selectFrom('ledger_entries')
      .selectAll()
      .where('transfer_id', 'in', [ok.id, short.id])
      .execute();
    expect(entries.map((e) => e.amount_cents).sort((a, b) => a - b)).toEqual([-600, 600]);
    const notes = await ctx.db
      .selectFrom('notifications')
      .select(['user_id', 'type', 'dedupe_key'])
      .where('dedupe_key', 'in', [`transfer:${ok.id}`, `transfer:${short.id}`])
      .execute();
    expect(notes).toHaveLength(2);
    expect(notes).toContainEqual({
      user_id: ada.id,
      type: 'transfer_received',
      dedupe_key: `transfer:${ok.id}`,
    });
    expect(notes).toContainEqual({
      user_id: eve.id,
      type: 'transfer_failed',
      dedupe_key: `transfer:${short.id}`,
    });
    const { rows } = await sql<{ type: string; rooms: string[]; balance: number | null }>`
      select type, rooms, (data->>'balanceCents')::int as balance from event_log
      where type = 'wallet:updated' and (rooms && array[${`user:${eve.id}`}, ${`user:${ada.id}`}])
      order by id desc limit 2`.execute(ctx.db);
    expect(rows.map((r) => [r.rooms[0], r.balance])).toContainEqual([`user:${eve.id}`, 400]);
    await checkLedger(ctx.db);
  });

  it('notifies each recipient once per transfer of a batch, each push counting the unread notifications so far', async () => {
    const dan = await createUser(ctx.db);
    await mintSettled(eve, 300);
    const sent = [];
    for (const amountCents of [100, 100]) {
      sent.push(((await (await send(eve, { to: dan.username, amountCents })).json()) as Transfer).id);
    }
    expect(await settle(sent)).toEqual({ completed: 2, failed: 0 });
    expect(await settle(sent)).toEqual({ completed: 0, failed: 0 });
    const { rows } = await sql<{ count: number; id: string }>`
      select (data->>'unreadCount')::int as count, data->'notification'->>'id' as id from event_log
      where type = 'notification:created' and rooms = array[${`user:${dan.id}`}] order by id`.execute(ctx.db);
    expect(rows.map((r) => r.count)).toEqual([1, 2]);
    const notes = await ctx.db
      .selectFrom('notifications')
      .select('dedupe_key')
      .where('user_id', '=', dan.id)
      .execute();
    expect(notes.map((n) => n.dedupe_key).sort()).toEqual(sent.map((id) => `transfer:${id}`).sort());
  });

  it('runs the settlement hook of the transfer kind inside the settlement', async () => {
    const minted = await mintSettled(bob, 250);
    expect(settledHooks.map((s) => s.transfer.id)).toContain(minted.id);
    expect(settledHooks.find((s) => s.transfer.id === minted.id)?.transfer.status).toBe('completed');
  });

  it('is guarded by the database: no overdraft, no unbalanced entries, no second settlement', async () => {
    const userAccount = await ctx.db
      .selectFrom('wallet_accounts')
      .select('id')
      .where('user_id', '=', eve.id)
      .executeTakeFirstOrThrow();
    await expect(
      sql`update wallet_accounts set balance_cents = -1 where id = ${userAccount.id}`.execute(ctx.db),
    ).rejects.toThrow(/wallet_accounts_user_balance/);
    const done = await ctx.db
      .selectFrom('transfers')
      .selectAll()
      .where('status', '=', 'completed')
      .executeTakeFirstOrThrow();
    await expect(
      ctx.db
        .updateTable('transfers')
        .set({ status: 'pending', completed_at: null, settled_seq: null })
        .where('id', '=', done.id)
        .execute(),
    ).rejects.toThrow(/already completed/);
    await expect(
      ctx.db
        .insertInto('ledger_entries')
        .values({ transfer_id: done.id, account_id: userAccount.id, amount_cents: 5 })
        .execute(),
    ).rejects.toThrow();
    // A pending transfer completed by hand with one-sided entries, or without any: refused by the statement
    // that does it (migrations/0024: the checks run per statement, not at commit).
    const pending = (await (await send(eve, { to: bob.username, amountCents: 1 })).json()) as Transfer;
    await expect(
      ctx.db.transaction().execute(async (trx) => {
        await trx
          .insertInto('ledger_entries')
          .values({ transfer_id: pending.id, account_id: userAccount.id, amount_cents: 1 })
          .execute();
        await sql`update transfers set status = 'completed', completed_at = now(), settled_seq = nextval('transfers_settled_seq') where id = ${pending.id}`.execute(
          trx,
        );
      }),
    ).rejects.toThrow(/two balancing entries/);
    await expect(
      sql`with completed as (
          update transfers set status = 'completed', completed_at = now(),
            settled_seq = nextval('transfers_settled_seq') where id = ${pending.id} returning id
        )
        insert into ledger_entries (transfer_id, account_id, amount_cents)
        select id, ${userAccount.id}::uuid, -1 from completed`.execute(ctx.db),
    ).rejects.toThrow(/two balancing entries/);
    await expect(
      sql`update transfers set status = 'completed', completed_at = now(), settled_seq = nextval('transfers_settled_seq') where id = ${pending.id}`.execute(
        ctx.db,
      ),
    ).rejects.toThrow(/two balancing entries/);
    await expect(ctx.db.deleteFrom('ledger_entries').execute()).rejects.toThrow(/append-only/);
    await settle([pending.id]);
  });
});

describe('wallet reads', () => {
  it('shows the balance, and history pages newest first to the parties only', async () => {
    const carol = await createUser(ctx.db);
    expect(await (await get(carol, '/wallet')).json()).toEqual({
      balanceCents: 0,
      heldCents: 0,
      currency: 'EUR',
    });
    const sent: string[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await send(carol, { to: i % 2 ? ada.username : bob.username, amountCents: 10 + i });
      sent.push(((await res.json()) as Transfer).id);
    }
    const received = (await (
      await mint(admin, { username: carol.username, amountCents: 99 })
    ).json()) as Transfer;
    const all: Transfer[] = [];
    let cursor: string | null = null;
    do {
      const res = await get(carol, `/wallet/transfers?limit=4${cursor ? `&cursor=${cursor}` : ''}`);
      expect(res.status).toBe(200);
      const page = (await res.json()) as { items: Transfer[]; nextCursor: string | null };
      all.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor);
    expect(all.map((t) => t.id)).toEqual([received.id, ...[...sent].reverse()]);
    expect((await get(carol, '/wallet/transfers?cursor=nonsense')).status).toBe(400);

    expect((await get(ada, `/transfers/${sent[1]}`)).status).toBe(200);
    for (const path of [`/transfers/${received.id}`, '/transfers/not-a-uuid', `/transfers/${ada.id}`]) {
      const res = await get(eve, path);
      expect(res.status, path).toBe(404);
      expect(await errorCode(res)).toBe('not_found');
    }
    expect((await get(null, '/wallet')).status).toBe(401);
    await settle([...sent, received.id]);
  });
});

describe('minting (POST /admin/mint)', () => {
  it('is for admins only, and comes from the issuer as a mint', async () => {
    const member = await mint(ada, { username: ada.username, amountCents: 100 });
    expect(member.status).toBe(403);
    const anonymous = await app.request('/api/v1/admin/mint', {
      method: 'POST',
      body: JSON.stringify({ username: ada.username, amountCents: 100 }),
      headers: { 'content-type': 'application/json' },
    });
    expect(anonymous.status).toBe(401);
    expect((await mint(admin, { username: 'nobody_here', amountCents: 100 })).status).toBe(404);
    expect((await mint(admin, { username: ada.username, amountCents: 0 })).status).toBe(400);
    const res = await mint(admin, { username: ada.username, amountCents: 100, memo: 'welcome' }, 'mint-1');
    expect(res.status).toBe(202);
    const transfer = (await res.json()) as Transfer;
    expect(transfer).toMatchObject({ kind: 'mint', from: null, to: { id: ada.id }, amountCents: 100 });
    expect(
      (await mint(admin, { username: ada.username, amountCents: 100, memo: 'welcome' }, 'mint-1')).status,
    ).toBe(200);
    await settle([transfer.id]);
  });
});

describe('the transfer rate limit', () => {
  it('refuses a user beyond TRANSFERS_PER_MINUTE with 429 and Retry-After, recording nothing', async () => {
    const limited = createInProcessApp(ctx, {}, { TRANSFERS_PER_MINUTE: '2' });
    try {
      const [sender, recipient] = [await createUser(ctx.db), await createUser(ctx.db)];
      const request = (key: string) =>
        limited.app.request('/api/v1/transfers', {
          method: 'POST',
          body: JSON.stringify({ to: recipient.username, amountCents: 1 }),
          headers: { 'content-type': 'application/json', 'idempotency-key': key, ...bearer(sender) },
        });
      expect((await request('limit-1')).status).toBe(202);
      expect((await request('limit-2')).status).toBe(202);
      const refused = await request('limit-3');
      expect(refused.status).toBe(429);
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('rate_limited');
      const recorded = await ctx.db
        .selectFrom('transfers')
        .select('idempotency_key')
        .where('from_user_id', '=', sender.id)
        .execute();
      expect(recorded.map((r) => r.idempotency_key).sort()).toEqual(['limit-1', 'limit-2']);
      // Another user is not affected.
      expect(
        (
          await limited.app.request('/api/v1/transfers', {
            method: 'POST',
            body: JSON.stringify({ to: sender.username, amountCents: 1 }),
            headers: {
              'content-type': 'application/json',
              'idempotency-key': 'other-1',
              ...bearer(recipient),
            },
          })
        ).status,
      ).toBe(202);
    } finally {
      await limited.close();
    }
  });
});
