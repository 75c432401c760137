// Fault 2: SIGKILL of the worker process in the middle of transfer settlement, then in the middle of
// reminder delivery. After a restart nothing is lost and nothing is applied, notified or sent twice.
import type { Event, Transfer } from '@plaza/client/protocol';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { bearer, createUser, type TestUser } from '../helpers/factories.ts';
import { type PlazaProcess, startServer, startWorkers, stopAll } from '../helpers/processes.ts';
import { type SmtpSink, startSmtpSink } from '../helpers/smtp-sink.ts';
import { sleep, waitFor } from '../helpers/wait.ts';
import { checkLedger } from '../wallet/ledger-checks.ts';
import { errorLines, inPool } from './fault-harness.ts';

const USERS = 12;
const TRANSFERS = 300;
/**
 * The event's reminder job commits its participants in chunks of REMINDER_CHUNK, each atomically: many
 * chunks, so that the kill after the first reminder lands between chunks (or between a chunk's commit
 * and its emails), not after the last one.
 */
const PARTICIPANTS = 300;
const REMINDER_CHUNK = 20;
/** Joining them all takes seconds: the reminders fall due once they have joined, all at once. */
const REMINDERS_DUE_IN_MS = 20_000;
const LEAD_MINUTES = 60;

let ctx: TestContext;
let sink: SmtpSink;
let server: PlazaProcess;
let mailer: PlazaProcess;
let workers: PlazaProcess;
const killed: PlazaProcess[] = [];

beforeAll(async () => {
  sink = await startSmtpSink();
  ctx = await createTestContext({
    REMINDER_LEAD_MINUTES: String(LEAD_MINUTES),
    REMINDER_CHUNK: String(REMINDER_CHUNK),
  });
  // Emails go through their own worker process: SMTP has no exactly-once, so the kill hits the
  // settlement and reminder logic (which must be exactly-once), not a message half-handed to SMTP.
  [server, mailer, workers] = await Promise.all([
    startServer(ctx.env, 'worker-loss'),
    startWorkers({ ...ctx.env, SMTP_URL: sink.url }, ['email']),
    startWorkers(ctx.env, ['transfers', 'reminders']),
  ]);
});

afterAll(async () => {
  await stopAll([server, mailer, workers]);
  await sink?.close();
  await ctx?.close();
});

async function api<T>(
  method: string,
  path: string,
  user: TestUser,
  body?: unknown,
  key?: string,
): Promise<[number, T]> {
  const res = await fetch(`${server.url}/api/v1${path}`, {
    method,
    headers: {
      ...bearer(user),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(key ? { 'idempotency-key': key } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return [res.status, (text ? JSON.parse(text) : null) as T];
}

const count = async (query: ReturnType<typeof sql<{ n: number }>>) =>
  (await query.execute(ctx.db)).rows[0]!.n;

/** Kills the worker process and starts a fresh one, as a supervisor would. */
async function killAndRestartWorkers(): Promise<void> {
  killed.push(workers);
  await workers.kill();
  workers = await startWorkers(ctx.env, ['transfers', 'reminders']);
}

describe('worker loss', () => {
  it('during transfer settlement: every transfer settles exactly once and the ledger adds up', async () => {
    const admin = await createUser(ctx.db, { role: 'admin' });
    const users = await Promise.all(Array.from({ length: USERS }, () => createUser(ctx.db)));
    for (const u of users) {
      const [status] = await api('POST', '/admin/mint', admin, { username: u.username, amountCents: 5_000 });
      expect(status).toBe(202);
    }
    const pending = sql<{ n: number }>`select count(*) as n from transfers where status = 'pending'`;
    await waitFor(async () => (await count(pending)) === 0, { timeoutMs: 20_000, what: 'the mints' });

    const ids: string[] = [];
    let killing: Promise<void> | null = null;
    let settledAtKill = -1;
    await inPool(TRANSFERS, 10, async (i) => {
      const from = users[i % USERS]!;
      // An offset of 1..USERS-1 from the sender: never oneself.
      const to = users[(i + 1 + (i % (USERS - 1))) % USERS]!;
      const [status, transfer] = await api<Transfer>(
        'POST',
        '/transfers',
        from,
        { to: to.username, amountCents: 1 + ((i * 37) % 1_500), memo: `#${i}` },
        `worker-loss-${i}`,
      );
      expect(status).toBe(202);
      ids.push(transfer.id);
      if (ids.length === TRANSFERS / 3 && !killing) {
        // Kill once settlement is under way: some of these are settled, others wait or are mid-batch.
        killing = (async () => {
          settledAtKill = await count(sql<{ n: number }>`
            select count(*) as n from transfers where status <> 'pending' and kind = 'transfer'`);
          await killAndRestartWorkers();
        })();
      }
    });
    await killing;
    await waitFor(async () => (await count(pending)) === 0, {
      timeoutMs: 40_000,
      intervalMs: 200,
      what: 'every transfer settled after the restart',
    });
    console.log(`worker killed with ${settledAtKill}/${TRANSFERS} transfers settled`);
    expect(settledAtKill).toBeLessThan(TRANSFERS);

    expect(new Set(ids).size).toBe(TRANSFERS);
    const summary = await checkLedger(ctx.db);
    expect(summary.pending).toBe(0);
    // One outcome notification per settled transfer (never two), and one settlement push each.
    const { rows: notes } = await sql<{ key: string; n: number }>`
      select dedupe_key as key, count(*) as n from notifications
      where type in ('transfer_received', 'transfer_failed') group by dedupe_key`.execute(ctx.db);
    expect(notes.filter((r) => r.n !== 1)).toEqual([]);
    const { rows: pushes } = await sql<{ id: string; n: number }>`
      select data->'transfer'->>'id' as id, count(*) as n from event_log
      where type = 'transfer:updated' and data->'transfer'->>'status' <> 'pending'
      group by 1`.execute(ctx.db);
    expect(pushes.filter((r) => r.n !== 1)).toEqual([]);
    expect(pushes.length).toBe(TRANSFERS + USERS);
  }, 120_000);

  it('during reminder delivery: each participant gets exactly one reminder notification and email', async () => {
    const organizer = await createUser(ctx.db);
    const people = await Promise.all(Array.from({ length: PARTICIPANTS }, () => createUser(ctx.db)));
    // The reminders fall due REMINDERS_DUE_IN_MS from now: starts at now + lead + that.
    const startsAt = new Date(Date.now() + LEAD_MINUTES * 60_000 + REMINDERS_DUE_IN_MS);
    const [status, event] = await api<Event>('POST', '/events', organizer, {
      title: 'Crash-proof meetup',
      description: 'Reminders must arrive once.',
      startsAt: startsAt.toISOString(),
      endsAt: new Date(startsAt.getTime() + 3_600_000).toISOString(),
    });
    expect(status).toBe(201);
    await inPool(PARTICIPANTS, 10, async (i) => {
      const [joined, body] = await api<{ status: string }>(
        'PUT',
        `/events/${event.id}/participation`,
        people[i]!,
      );
      expect(joined, JSON.stringify(body)).toBe(200);
      expect(body.status).toBe('going');
    });

    const sent = sql<{ n: number }>`select count(*) as n from event_reminders where event_id = ${event.id}`;
    const atKill = await waitFor(
      async () => {
        const n = await count(sent);
        return n > 0 ? n : null;
      },
      { timeoutMs: 30_000, intervalMs: 5, what: 'the first reminder' },
    );
    await killAndRestartWorkers();
    console.log(`worker killed with ${atKill}/${PARTICIPANTS} reminders sent`);
    expect(atKill).toBeLessThan(PARTICIPANTS);

    await waitFor(async () => (await count(sent)) === PARTICIPANTS, {
      timeoutMs: 30_000,
      intervalMs: 100,
      what: 'every reminder after the restart',
    });
    for (const person of people)
      await sink.waitForMessage(person.email, (m) => m.subject.includes('Crash-proof'), 20_000);
    await sleep(1_500); // a duplicate would arrive now
    const { rows } = await sql<{ user_id: string; n: number }>`
      select user_id, count(*) as n from notifications
      where type = 'event_reminder' and url = ${`/events/${event.id}`} group by user_id`.execute(ctx.db);
    expect(rows).toHaveLength(PARTICIPANTS);
    expect(rows.filter((r) => r.n !== 1)).toEqual([]);
    for (const person of people) {
      const mails = sink.messages.filter(
        (m) => m.to.includes(person.email) && m.subject.includes('Crash-proof'),
      );
      expect(mails, person.email).toHaveLength(1);
    }
    expect(killed.every((p) => p.exit?.signal === 'SIGKILL')).toBe(true);
    expect(errorLines([server, mailer, workers])).toEqual([]);
  }, 120_000);
});
