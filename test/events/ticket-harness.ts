// Ticket settlement driven by hand (no worker): the test context, the settlement hooks with the ticket hook,
// and helpers to record, settle and fund. Registers its own beforeAll/afterAll; the fields are set once
// beforeAll has run. The afterAll settles what is left and checks the ledger.
import type { Role } from '@plaza/client/protocol';
import { afterAll, beforeAll, expect } from 'vitest';
import type { Actor } from '../../server/auth/actor.ts';
import { loadConfig } from '../../server/config.ts';
import type { Deps } from '../../server/deps.ts';
import { ticketSettlementHook } from '../../server/events/events.ticket-settlement.ts';
import { Queues } from '../../server/jobs/queues.ts';
import { createLogger } from '../../server/lib/logger.ts';
import { closeRedis, createRedis } from '../../server/lib/redis.ts';
import { requestTransfer } from '../../server/wallet/wallet.service.ts';
import { SettlementHooks, settleTransfers } from '../../server/wallet/wallet.settlement.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { createUser, type TestUser } from '../helpers/factories.ts';
import { testMediaUrls } from '../helpers/fixtures.ts';
import { createInProcessApp, type InProcessApp } from '../helpers/in-process-app.ts';
import { checkLedger } from '../wallet/ledger-checks.ts';

export interface TicketHarness {
  ctx: TestContext;
  deps: Deps;
  hooks: SettlementHooks;
  /** Set only when asked for with `inProcessApp`. */
  app: InProcessApp | null;
  settle: (ids: string[]) => ReturnType<typeof settleTransfers>;
  /** Settles until nothing is pending (refunds and promotions record new transfers while settling). */
  settleAll: () => Promise<void>;
  /** Records and settles a transfer (a mint when `from` is null); returns its final status. */
  send: (from: Actor | null, to: Actor, cents: number) => Promise<string>;
  /** A user whose wallet got `cents` minted and settled. */
  fundedUser: (cents: number, role?: Role) => Promise<TestUser>;
  /** A user with a funded wallet, as an Actor; asserts the funding completed. */
  person: (cents: number, role?: Role) => Promise<Actor>;
}

/**
 * `redisName` names the Redis connection of hand-built deps; with `inProcessApp` the deps are the
 * in-process app's own (for tests that also go through the routes).
 */
export function useTicketHarness(options: { redisName: string } | { inProcessApp: true }): TicketHarness {
  let close: () => Promise<void> = async () => {};
  const settle = (ids: string[]) =>
    settleTransfers({ db: h.ctx.db, currency: 'EUR', hooks: h.hooks, urls: testMediaUrls }, ids);
  const settleAll = async (): Promise<void> => {
    for (;;) {
      const pending = await h.ctx.db
        .selectFrom('transfers')
        .select('id')
        .where('status', '=', 'pending')
        .execute();
      if (pending.length === 0) return;
      await settle(pending.map((t) => t.id));
    }
  };
  const send = async (from: Actor | null, to: Actor, cents: number): Promise<string> => {
    const { transfer } = await h.ctx.db.transaction().execute((trx) =>
      requestTransfer(
        trx,
        {
          kind: from ? 'transfer' : 'mint',
          fromUserId: from?.userId ?? null,
          toUserId: to.userId,
          amountCents: cents,
        },
        testMediaUrls,
      ),
    );
    await settle([transfer.id]);
    const row = await h.ctx.db
      .selectFrom('transfers')
      .select('status')
      .where('id', '=', transfer.id)
      .executeTakeFirstOrThrow();
    return row.status;
  };
  const fundedUser = async (cents: number, role: Role = 'member'): Promise<TestUser> => {
    const user = await createUser(h.ctx.db, { role });
    if (cents > 0) {
      const { transfer } = await h.ctx.db
        .transaction()
        .execute((trx) =>
          requestTransfer(
            trx,
            { kind: 'mint', fromUserId: null, toUserId: user.id, amountCents: cents },
            testMediaUrls,
          ),
        );
      await settle([transfer.id]);
    }
    return user;
  };
  const person = async (cents: number, role: Role = 'member'): Promise<Actor> => {
    const user = await createUser(h.ctx.db, { role });
    const actor: Actor = { userId: user.id, username: user.username, sessionId: user.sessionId, role };
    if (cents > 0) expect(await send(null, actor, cents)).toBe('completed');
    return actor;
  };
  const h: TicketHarness = {
    ctx: undefined as unknown as TestContext,
    deps: undefined as unknown as Deps,
    hooks: undefined as unknown as SettlementHooks,
    app: null,
    settle,
    settleAll,
    send,
    fundedUser,
    person,
  };

  beforeAll(async () => {
    h.ctx = await createTestContext();
    if ('inProcessApp' in options) {
      const app = createInProcessApp(h.ctx);
      h.app = app;
      h.deps = app.deps;
      close = app.close;
    } else {
      const redis = createRedis(h.ctx.redisUrl, 'commands', options.redisName);
      const deps: Deps = {
        config: loadConfig(h.ctx.env),
        db: h.ctx.db,
        redis,
        queues: new Queues(redis, h.ctx.redisPrefix),
        logger: createLogger('silent', 'test'),
      };
      h.deps = deps;
      close = async () => {
        await deps.queues.close();
        await closeRedis(deps.redis);
      };
    }
    h.hooks = new SettlementHooks().on('event_ticket', ticketSettlementHook(h.deps));
  });

  afterAll(async () => {
    await settleAll();
    // The replay there accounts for held money and releases: every failure was for lack of AVAILABLE money.
    await checkLedger(h.ctx.db);
    await close();
    await h.ctx.close();
  });

  return h;
}
