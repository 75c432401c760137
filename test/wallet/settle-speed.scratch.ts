// Scratch measurement (not a test): settlement cost per transfer, in process.

import pg from 'pg';
import { createDb } from '../../server/db/database.ts';
import { migrateToLatest } from '../../server/db/migrate.ts';
import { requestTransfer } from '../../server/wallet/wallet.service.ts';
import { SettlementHooks, settleTransfers } from '../../server/wallet/wallet.settlement.ts';
import { createUser } from '../helpers/factories.ts';

const name = `plaza_scratch_wallet_${process.pid}`;
const admin = new pg.Client({ connectionString: 'postgres://postgres@127.0.0.1:5432/postgres' });
await admin.connect();
const url = `postgres://postgres@127.0.0.1:5432/${name}`;
await migrateToLatest(url);
const db = createDb({ url, poolSize: 4, applicationName: 'scratch' });
const users = await Promise.all(Array.from({ length: 20 }, () => createUser(db)));
const hooks = new SettlementHooks();
const mints = await db.transaction().execute(async (trx) => {
  const ids: string[] = [];
  for (const u of users)
    ids.push(
      (await requestTransfer(trx, { kind: 'mint', fromUserId: null, toUserId: u.id, amountCents: 1_000_000 }))
        .transfer.id,
    );
  return ids;
});
await settleTransfers({ db, currency: 'EUR', hooks }, mints);
const ids: string[] = [];
await db.transaction().execute(async (trx) => {
  for (let k = 0; k < 2000; k++) {
    const from = users[k % 20]!,
      to = users[(k * 7 + 1) % 20]!;
    if (from.id === to.id) continue;
    ids.push(
      (
        await requestTransfer(trx, {
          kind: 'transfer',
          fromUserId: from.id,
          toUserId: to.id,
          amountCents: 1 + (k % 100),
        })
      ).transfer.id,
    );
  }
});
for (const batch of [1, 100]) {
  const part = batch === 1 ? ids.slice(0, 200) : ids.slice(200);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < part.length; i += batch)
    await settleTransfers({ db, currency: 'EUR', hooks }, part.slice(i, i + batch));
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  console.log(
    `batch ${batch}: ${part.length} in ${ms.toFixed(0)} ms = ${((part.length / ms) * 1000).toFixed(0)}/s, node cpu/op ${((cpu.user + cpu.system) / part.length).toFixed(0)} µs`,
  );
}
await db.destroy();
await admin.query(`drop database "${name}" with (force)`);
await admin.end();
