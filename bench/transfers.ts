// Transfers: settled per second by the transfer workers (group commit), the ledger checked afterwards.
// Each round records a backlog through REST (POST /api/v1/transfers) while the queue is paused, then
// resumes it and times the drain. Baseline: pgbench running a transfer's own statements, same DB.
import { randomBytes } from 'node:crypto';
import type { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { sql } from 'kysely';
import { Queues } from '../server/jobs/queues.ts';
import { requestTransfer } from '../server/wallet/wallet.service.ts';
import { SettlementHooks, settleTransfers } from '../server/wallet/wallet.settlement.ts';
import type { TestUser } from '../test/helpers/factories.ts';
import { testMediaUrls } from '../test/helpers/fixtures.ts';
import { PgbenchBaseline } from './baselines/transfers.pgbench.ts';
import { CpuMeter } from './harness/cpu.ts';
import { createUsers } from './harness/fixtures.ts';
import { postJson } from './harness/http.ts';
import { type BenchDatabase, createBenchDatabase, dropBenchDatabase } from './harness/infra.ts';
import { size } from './harness/options.ts';
import { type BenchProcess, startPlazaServer, startPlazaWorkers } from './harness/processes.ts';
import {
  type ArmRound,
  medianExtra,
  progress,
  type ScenarioResult,
  skipped,
  summarize,
} from './harness/report.ts';
import { alternate, pool, type Scenario, type ScenarioContext, sleep } from './harness/scenario.ts';
import { round } from './harness/stats.ts';

const TARGET = 'settled/s ≥ 1.0 (pgbench transfer script)';
const UNIT = 'transfers/s';
const PGBENCH_CLIENTS = 8;
const REST_CONCURRENCY = 16;

/** Every user starts with 10,000.00 through the real mint path, settled directly (setup, not measured). */
async function fund(database: BenchDatabase, users: TestUser[]): Promise<void> {
  const ids = await database.db.transaction().execute(async (trx) => {
    const out: string[] = [];
    for (const user of users) {
      const { transfer } = await requestTransfer(
        trx,
        {
          kind: 'mint',
          fromUserId: null,
          toUserId: user.id,
          amountCents: 1_000_000,
        },
        testMediaUrls,
      );
      out.push(transfer.id);
    }
    return out;
  });
  for (let i = 0; i < ids.length; i += 100) {
    await settleTransfers(
      { db: database.db, currency: 'EUR', hooks: new SettlementHooks(), urls: testMediaUrls },
      ids.slice(i, i + 100),
    );
  }
}

async function pendingCount(database: BenchDatabase): Promise<number> {
  const { rows } = await sql<{
    n: number;
  }>`select count(*)::int as n from transfers where status = 'pending'`.execute(database.db);
  return rows[0]?.n ?? 0;
}

async function measureApp(
  database: BenchDatabase,
  server: BenchProcess,
  workers: BenchProcess,
  queue: Queue,
  users: TestUser[],
  count: number,
): Promise<ArmRound> {
  await queue.pause();
  const tag = randomBytes(4).toString('hex');
  const t0 = performance.now();
  const statuses = await pool(count, REST_CONCURRENCY, async (k) => {
    const from = users[k % users.length]!;
    const to = users[(k * 7 + 1 + Math.floor(k / users.length)) % users.length]!;
    if (to.id === from.id) return 0;
    const res = await postJson(
      `${server.url}/api/v1/transfers`,
      { to: to.username, amountCents: 1 + (k % 100), memo: 'bench' },
      { authorization: `Bearer ${from.token}`, 'idempotency-key': `${tag}-${k}` },
    );
    await res.arrayBuffer();
    return res.status;
  });
  const restSeconds = (performance.now() - t0) / 1000;
  const created = statuses.filter((s) => s === 202).length;
  const cpu = new CpuMeter(() => [workers.pid], database.name);
  cpu.start();
  const t1 = performance.now();
  await queue.resume();
  let left = await pendingCount(database);
  while (left > 0 && performance.now() - t1 < 30_000) {
    await sleep(20);
    left = await pendingCount(database);
  }
  const seconds = (performance.now() - t1) / 1000;
  const used = cpu.stop();
  const settled = created - left;
  return {
    value: settled / seconds,
    lost: left,
    cpuPerOp: settled > 0 ? used.server / settled : null,
    dbCpuPerOp: settled > 0 && used.database !== null ? used.database / settled : null,
    extra: {
      restPerSecond: round(created / restSeconds, 0),
      refused: statuses.filter((s) => s !== 202 && s !== 0).length,
    },
  };
}

async function measureBaseline(pgbench: PgbenchBaseline, seconds: number): Promise<ArmRound> {
  const cpu = new CpuMeter(() => [], pgbench.database.name);
  cpu.start();
  const result = await pgbench.transfers(PGBENCH_CLIENTS, seconds);
  const used = cpu.stop();
  return {
    value: result.tps,
    cpuPerOp: null,
    dbCpuPerOp:
      result.transactions > 0 && used.database !== null ? used.database / result.transactions : null,
    extra: { latencyMs: result.latencyMs },
  };
}

/** The ledger after every round: entries sum to zero, balances equal their entries, nobody negative. */
async function checkLedger(database: BenchDatabase) {
  const { rows } = await sql<{ sum: number; negative: number; mismatched: number; unbalanced: number }>`
    select
      (select coalesce(sum(amount_cents), 0) from ledger_entries)::bigint as sum,
      (select count(*) from wallet_accounts where kind = 'user' and balance_cents < 0)::int as negative,
      (select count(*) from wallet_accounts a where a.balance_cents <>
        (select coalesce(sum(e.amount_cents), 0) from ledger_entries e where e.account_id = a.id))::int as mismatched,
      (select count(*) from transfers t where t.status = 'completed' and
        (select count(*) from ledger_entries e where e.transfer_id = t.id) <> 2)::int as unbalanced`.execute(
    database.db,
  );
  const r = rows[0]!;
  if (Number(r.sum) !== 0 || r.negative > 0 || r.mismatched > 0 || r.unbalanced > 0) {
    throw new Error(`ledger check failed: ${JSON.stringify(r)}`);
  }
  return r;
}

async function run(ctx: ScenarioContext): Promise<ScenarioResult[]> {
  const { options, run } = ctx;
  if (!(await PgbenchBaseline.available())) {
    return [skipped('transfers', UNIT, TARGET, 'pgbench not found (apt-get install postgresql-contrib)')];
  }
  const count = size(options, 2_000, 40);
  const pgbenchSeconds = size(options, 5, 1);
  const database = await createBenchDatabase(run, 'transfers');
  const processes: BenchProcess[] = [];
  const redis = new Redis(run.redisUrl, { maxRetriesPerRequest: null });
  const queues = new Queues(redis, database.redisPrefix);
  let pgbench: PgbenchBaseline | null = null;
  try {
    progress('transfers: users, money, processes, pgbench tables');
    const users = await createUsers(database.db, size(options, 200, 10));
    await fund(database, users);
    pgbench = await PgbenchBaseline.create(run);
    const [server, workers] = await Promise.all([
      startPlazaServer(database.env, 'app-server'),
      startPlazaWorkers(database.env, ['transfers']),
    ]);
    processes.push(server, workers);
    const queue = queues.get('transfers') as unknown as Queue;
    const base = pgbench;
    const rounds = await alternate(
      'transfers',
      options.rounds,
      () => measureApp(database, server, workers, queue, users, count),
      () => measureBaseline(base, pgbenchSeconds),
    );
    const ledger = await checkLedger(database);
    progress('transfers: pgbench -b tpcb-like');
    const tpcb = await pgbench.tpcb(size(options, 10, 1), PGBENCH_CLIENTS, pgbenchSeconds);
    const duplicated = ledger.unbalanced;
    const result = summarize('transfers', UNIT, TARGET, rounds, {
      backlog: count,
      restPerSecond: medianExtra(rounds.app, 'restPerSecond'),
      pgbenchClients: PGBENCH_CLIENTS,
      tpcbLikeTps: round(tpcb.tps, 0),
      ledger: 'ok',
    });
    result.duplicated = duplicated;
    return [result];
  } finally {
    await Promise.all(processes.map((p) => p.stop()));
    await queues.close();
    redis.disconnect();
    pgbench?.close();
    await dropBenchDatabase(run, database);
    if (pgbench) await dropBenchDatabase(run, pgbench.database);
  }
}

export const transfers: Scenario = { name: 'transfers', run };
