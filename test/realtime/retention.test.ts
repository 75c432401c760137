import type { AnyPush } from '@plaza/client/protocol';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pruneEventLog, readRelayPosition } from '../../server/realtime/event-log.ts';
import { replaySince } from '../../server/realtime/resume.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { commitFeedEvent } from '../helpers/fixtures.ts';

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(async () => {
  await ctx.close();
});

/** Stands in for the relay: numbers and marks as emitted every unrelayed row, in id order. */
async function relayAll(): Promise<void> {
  await sql`
    with batch as (select id, row_number() over (order by id) as n from event_log where seq is null),
    base as (select assigned_seq from relay_state)
    update event_log e set seq = base.assigned_seq + batch.n from batch, base where e.id = batch.id`.execute(
    ctx.db,
  );
  await sql`update relay_state set assigned_seq = (select max(seq) from event_log),
    emitted_seq = (select max(seq) from event_log)`.execute(ctx.db);
}

describe('event log retention', () => {
  it('deletes relayed events past the retention, and resuming from before them answers resume_gap', async () => {
    for (let i = 0; i < 5; i++) await commitFeedEvent(ctx.db, `old ${i}`);
    await relayAll();
    await sql`update event_log set created_at = now() - interval '30 hours'`.execute(ctx.db);
    for (let i = 0; i < 3; i++) await commitFeedEvent(ctx.db, `new ${i}`);
    await relayAll();

    expect(await pruneEventLog(ctx.db, 24)).toBe(5);
    expect((await readRelayPosition(ctx.db)).prunedSeq).toBe(5);
    expect(await pruneEventLog(ctx.db, 24)).toBe(0);

    await expect(replaySince(ctx.db, ['feed'], 2, () => {})).rejects.toMatchObject({ code: 'resume_gap' });
    const replayed: AnyPush[] = [];
    expect(await replaySince(ctx.db, ['feed'], 5, (push) => replayed.push(push))).toBe(8);
    expect(replayed.map((p) => p.seq)).toEqual([6, 7, 8]);
    // A room the events were not sent to replays nothing.
    expect(await replaySince(ctx.db, ['post:x'], 5, () => expect.unreachable())).toBe(8);
  });

  it('never deletes events the relay has not emitted yet', async () => {
    await commitFeedEvent(ctx.db, 'not relayed');
    await sql`update event_log set created_at = now() - interval '30 hours' where seq is null`.execute(
      ctx.db,
    );
    await pruneEventLog(ctx.db, 24);
    const { rows } = await sql`select 1 from event_log where seq is null`.execute(ctx.db);
    expect(rows).toHaveLength(1);
  });
});
