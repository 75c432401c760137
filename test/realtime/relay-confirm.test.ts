// A relay batch counts as emitted (emitted_seq, which a new leader does not re-emit) only once the
// transport has confirmed it; a confirmation that fails makes the relay step down.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../server/lib/logger.ts';
import { readRelayPosition } from '../../server/realtime/event-log.ts';
import { Relay } from '../../server/realtime/relay.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { commitFeedEvent } from '../helpers/fixtures.ts';
import { sleep, waitFor } from '../helpers/wait.ts';

let ctx: TestContext;
const logger = createLogger('silent', 'test');

beforeAll(async () => {
  ctx = await createTestContext();
});

afterAll(async () => {
  await ctx.close();
});

describe('relay confirmation', () => {
  it('records a batch as emitted only after the transport confirmed it', async () => {
    const emitted: number[] = [];
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const relay = new Relay({
      databaseUrl: ctx.databaseUrl,
      logger,
      emit: (_rooms, push) => emitted.push(push.seq),
      canEmit: () => true,
      confirmEmitted: () => gate,
      pollIntervalMs: 50,
    });
    relay.start();
    try {
      await waitFor(() => relay.isLeader, { what: 'the relay to lead' });
      const before = (await readRelayPosition(ctx.db)).emittedSeq;
      await commitFeedEvent(ctx.db, 'awaiting confirmation');
      await waitFor(() => emitted.length === 1, { what: 'the emit' });
      await sleep(300);
      const position = await readRelayPosition(ctx.db);
      expect(position.assignedSeq).toBe(emitted[0]);
      expect(position.emittedSeq).toBe(before);
      release();
      await waitFor(async () => (await readRelayPosition(ctx.db)).emittedSeq === emitted[0], {
        what: 'emitted_seq to follow the confirmation',
      });
    } finally {
      await relay.stop();
    }
  });

  it('steps down when the transport cannot confirm, so that the next leader re-emits', async () => {
    const relay = new Relay({
      databaseUrl: ctx.databaseUrl,
      logger,
      emit: () => {},
      canEmit: () => true,
      confirmEmitted: () => Promise.reject(new Error('Redis did not confirm')),
      // Long enough that the test sees the step-down before it leads again.
      standbyIntervalMs: 5_000,
    });
    relay.start();
    try {
      await waitFor(() => relay.isLeader, { what: 'the relay to lead' });
      const before = (await readRelayPosition(ctx.db)).emittedSeq;
      await commitFeedEvent(ctx.db, 'never confirmed');
      await waitFor(() => !relay.isLeader, { what: 'the relay to step down' });
      expect((await readRelayPosition(ctx.db)).emittedSeq).toBe(before);
    } finally {
      await relay.stop();
    }
  });
});
