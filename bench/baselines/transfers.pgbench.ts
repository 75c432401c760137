// Baseline of transfers: pgbench running a transfer's own statements (two guarded UPDATEs, the transfer
// row and its two ledger entries, one transaction) over 10k accounts; and pgbench's own tpcb-like.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import {
  type BenchDatabase,
  type BenchRun,
  createBenchDatabase,
  pgConnectionArgs,
} from '../harness/infra.ts';

const ACCOUNTS = 10_000;

const TRANSFER_SCRIPT = `
\\set from random(1, ${ACCOUNTS})
\\set to random(1, ${ACCOUNTS})
\\set amount random(1, 100)
BEGIN;
UPDATE bench_accounts SET balance = balance - :amount WHERE id = :from AND balance >= :amount;
UPDATE bench_accounts SET balance = balance + :amount WHERE id = :to AND id <> :from;
INSERT INTO bench_transfers (from_id, to_id, amount) VALUES (:from, :to, :amount);
INSERT INTO bench_ledger (transfer_id, account_id, amount)
  VALUES (currval('bench_transfers_id_seq'), :from, -:amount), (currval('bench_transfers_id_seq'), :to, :amount);
END;
`;

export interface PgbenchResult {
  tps: number;
  latencyMs: number | null;
  transactions: number;
}

export class PgbenchBaseline {
  private readonly dir = mkdtempSync(path.join(tmpdir(), 'plaza-pgbench-'));
  private readonly script = path.join(this.dir, 'transfer.sql');

  readonly database: BenchDatabase;
  private readonly adminUrl: string;

  private constructor(database: BenchDatabase, adminUrl: string) {
    this.database = database;
    this.adminUrl = adminUrl;
    writeFileSync(this.script, TRANSFER_SCRIPT);
  }

  static available(): Promise<boolean> {
    return new Promise((resolve) => {
      const child = spawn('pgbench', ['--version'], { stdio: 'ignore' });
      child.on('error', () => resolve(false));
      child.on('exit', (code) => resolve(code === 0));
    });
  }

  /** A database of its own with the accounts (1,000,000 cents each), transfers and ledger tables. */
  static async create(run: BenchRun): Promise<PgbenchBaseline> {
    const database = await createBenchDatabase(run, 'pgbench', {}, { template: false });
    const db = database.db;
    await sql`create table bench_accounts (id int primary key, balance bigint not null check (balance >= 0))`.execute(
      db,
    );
    await sql`create table bench_transfers (id bigserial primary key, from_id int not null, to_id int not null,
      amount bigint not null, created_at timestamptz not null default now())`.execute(db);
    await sql`create table bench_ledger (id bigserial primary key, transfer_id bigint not null, account_id int not null,
      amount bigint not null, created_at timestamptz not null default now())`.execute(db);
    await sql`insert into bench_accounts select n, 1000000 from generate_series(1, ${ACCOUNTS}) n`.execute(
      db,
    );
    await sql`vacuum analyze bench_accounts`.execute(db);
    return new PgbenchBaseline(database, run.adminUrl);
  }

  private pgbench(args: string[]): Promise<string> {
    const conn = pgConnectionArgs(this.adminUrl);
    return new Promise((resolve, reject) => {
      const child = spawn('pgbench', [...conn.args, ...args, this.database.name], {
        env: { ...process.env, ...conn.env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout.on('data', (c: Buffer) => (output += c.toString()));
      child.stderr.on('data', (c: Buffer) => (output += c.toString()));
      child.on('error', reject);
      child.on('exit', (code) =>
        code === 0
          ? resolve(output)
          : reject(new Error(`pgbench ${args.join(' ')} exited ${code}:\n${output}`)),
      );
    });
  }

  private static parse(output: string): PgbenchResult {
    const tps = /tps = ([\d.]+) \(without initial connection time\)/.exec(output)?.[1];
    const latency = /latency average = ([\d.]+) ms/.exec(output)?.[1];
    const transactions = /number of transactions actually processed: (\d+)/.exec(output)?.[1];
    if (!tps) throw new Error(`pgbench printed no tps:\n${output}`);
    return {
      tps: Number(tps),
      latencyMs: latency ? Number(latency) : null,
      transactions: Number(transactions ?? 0),
    };
  }

  async transfers(clients: number, seconds: number): Promise<PgbenchResult> {
    const out = await this.pgbench([
      '-n',
      '-f',
      this.script,
      '-c',
      String(clients),
      '-j',
      '2',
      '-T',
      String(seconds),
    ]);
    return PgbenchBaseline.parse(out);
  }

  /** pgbench -b tpcb-like at `scale`; the first run after -i is discarded, as the notes advise. */
  async tpcb(scale: number, clients: number, seconds: number): Promise<PgbenchResult> {
    await this.pgbench(['-i', '-q', '-s', String(scale)]);
    await this.pgbench(['-n', '-b', 'tpcb-like', '-c', String(clients), '-j', '2', '-T', '1']);
    const out = await this.pgbench([
      '-n',
      '-b',
      'tpcb-like',
      '-c',
      String(clients),
      '-j',
      '2',
      '-T',
      String(seconds),
    ]);
    return PgbenchBaseline.parse(out);
  }

  close(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
