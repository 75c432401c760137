// Sessions validated from memory: a hit costs no query, and whatever revokes or changes a session
// takes effect on every instance by the time its request has answered.
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { changeRole } from '../../server/admin/admin.service.ts';
import {
  FORGET_ACK_TIMEOUT_MS,
  SessionCache,
  sessionsForgetChannel,
  sessionsForgottenChannel,
} from '../../server/auth/session-cache.ts';
import { revokeSessions, validateSessionToken } from '../../server/auth/sessions.ts';
import { loadConfig } from '../../server/config.ts';
import { createLogger } from '../../server/lib/logger.ts';
import { closeRedis, createRedis } from '../../server/lib/redis.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { bearer, createUser } from '../helpers/factories.ts';
import { type PlazaProcess, startServer, stopAll } from '../helpers/processes.ts';
import { sleep, waitFor } from '../helpers/wait.ts';

let ctx: TestContext;
const logger = createLogger('silent', 'test');

beforeAll(async () => {
  ctx = await createTestContext();
});

afterAll(async () => {
  await ctx.close();
});

describe('SessionCache', () => {
  const setup = async (ttlMs = 30_000) => {
    const publisher = createRedis(ctx.redisUrl, 'commands', 'test-cache-pub');
    const subscriber = createRedis(ctx.redisUrl, 'blocking', 'test-cache-sub');
    const cache = new SessionCache({ publisher, subscriber, redisPrefix: ctx.redisPrefix, logger, ttlMs });
    cache.start();
    await waitFor(() => cache.listening, { what: 'the cache to subscribe' });
    return {
      cache,
      close: async () => {
        await closeRedis(publisher);
        await closeRedis(subscriber);
      },
      subscriber,
    };
  };

  it('serves a validated session without the database until it is forgotten', async () => {
    const { cache, close } = await setup();
    try {
      const user = await createUser(ctx.db);
      expect((await validateSessionToken(ctx.db, user.token, cache))?.actor.userId).toBe(user.id);
      // Gone from the database behind the app's back (no forget): the cached copy still answers…
      await sql`delete from sessions where id = ${user.sessionId}`.execute(ctx.db);
      expect((await validateSessionToken(ctx.db, user.token, cache))?.actor.userId).toBe(user.id);
      // …which is what the time to live bounds; a wrong secret for the same id never matches it.
      const [id] = user.token.split('.');
      expect(await validateSessionToken(ctx.db, `${id}.${'a'.repeat(32)}`, cache)).toBeNull();
      await cache.forget({ sessionIds: [user.sessionId] });
      expect(await validateSessionToken(ctx.db, user.token, cache)).toBeNull();
    } finally {
      await close();
    }
  });

  it('forgets on the message of another instance, by session and by user, before the forget resolves', async () => {
    const a = await setup();
    const b = await setup();
    try {
      const one = await createUser(ctx.db);
      const two = await createUser(ctx.db);
      await validateSessionToken(ctx.db, one.token, b.cache);
      await validateSessionToken(ctx.db, two.token, b.cache);
      expect(b.cache.size).toBe(2);
      // No waiting: a forget resolves once every instance has acknowledged it.
      await a.cache.forget({ sessionIds: [one.sessionId] });
      expect(b.cache.size).toBe(1);
      await a.cache.forget({ userIds: [two.id] });
      expect(b.cache.size).toBe(0);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('waits for a slow instance to acknowledge, and gives up on a silent one after its deadline', async () => {
    const { cache, close } = await setup();
    const listener = createRedis(ctx.redisUrl, 'blocking', 'test-cache-slow-sub');
    const acker = createRedis(ctx.redisUrl, 'commands', 'test-cache-slow-pub');
    try {
      let mode: 'slow' | 'silent' = 'slow';
      let acked = false;
      listener.on('message', (_channel: string, message: string) => {
        if (mode === 'silent') return;
        const { i } = JSON.parse(message) as { i: string };
        setTimeout(() => {
          acked = true;
          void acker.publish(sessionsForgottenChannel(ctx.redisPrefix), i);
        }, 300);
      });
      await listener.subscribe(sessionsForgetChannel(ctx.redisPrefix));
      await cache.forget({ userIds: [randomUUID()] });
      expect(acked).toBe(true);

      mode = 'silent';
      const started = Date.now();
      await cache.forget({ userIds: [randomUUID()] });
      expect(Date.now() - started).toBeGreaterThanOrEqual(FORGET_ACK_TIMEOUT_MS - 50);
    } finally {
      await closeRedis(listener);
      await closeRedis(acker);
      await close();
    }
  });

  it('does not keep a validation that read the database before a forget arrived', async () => {
    const { cache, close } = await setup();
    try {
      const user = await createUser(ctx.db);
      const session = await validateSessionToken(ctx.db, user.token);
      const epoch = cache.begin();
      await cache.forget({ sessionIds: [user.sessionId] });
      cache.remember(user.token, session!, epoch);
      expect(cache.lookup(user.token)).toBeUndefined();
    } finally {
      await close();
    }
  });

  it('expires entries after their time to live', async () => {
    const { cache, close } = await setup(50);
    try {
      const user = await createUser(ctx.db);
      await validateSessionToken(ctx.db, user.token, cache);
      expect(cache.lookup(user.token)).toBeDefined();
      await sleep(80);
      expect(cache.lookup(user.token)).toBeUndefined();
    } finally {
      await close();
    }
  });

  it('is bypassed while its subscription is down and starts empty once it is back', async () => {
    const { cache, close, subscriber } = await setup();
    try {
      const user = await createUser(ctx.db);
      await validateSessionToken(ctx.db, user.token, cache);
      expect(cache.lookup(user.token)).toBeDefined();
      // A dropped connection (ioredis reconnects by itself): messages sent meanwhile could be lost.
      subscriber.stream.destroy();
      await waitFor(() => subscriber.status !== 'ready', { what: 'the subscriber to drop' });
      expect(cache.lookup(user.token)).toBeUndefined();
      await validateSessionToken(ctx.db, user.token, cache);
      expect(cache.size).toBe(0);
      await waitFor(() => subscriber.status === 'ready', { what: 'the subscriber to come back' });
      await waitFor(
        async () => {
          await validateSessionToken(ctx.db, user.token, cache);
          return cache.lookup(user.token) !== undefined;
        },
        { what: 'the cache to serve again' },
      );
    } finally {
      await close();
    }
  });
});

describe('across two instances', () => {
  let a: PlazaProcess;
  let b: PlazaProcess;

  beforeAll(async () => {
    [a, b] = await Promise.all([startServer(ctx.env, 'server-a'), startServer(ctx.env, 'server-b')]);
  });

  afterAll(async () => {
    await stopAll([a, b]);
  });

  const me = (p: PlazaProcess, user: { token: string }) =>
    fetch(`${p.url}/api/v1/me`, { headers: bearer(user) }).then(async (res) => {
      await res.arrayBuffer();
      return res.status;
    });

  /** Validated (and cached) on B a few times, as an active client's requests would be. */
  const warm = async (user: { token: string }) => {
    for (let i = 0; i < 3; i++) expect(await me(b, user)).toBe(200);
  };

  it('a logout answered by A is refused by B on the very next request', async () => {
    const user = await createUser(ctx.db);
    await warm(user);
    const res = await fetch(`${a.url}/api/v1/auth/logout`, { method: 'POST', headers: bearer(user) });
    expect(res.status).toBe(204);
    expect(await me(b, user)).toBe(401);
  });

  it('revoking one session on A, then suspending on A, are refused by B at once', async () => {
    const moderator = await createUser(ctx.db, { role: 'moderator' });
    const user = await createUser(ctx.db);
    const other = await createUser(ctx.db);
    await warm(user);
    await warm(other);
    const revoked = await fetch(`${a.url}/api/v1/auth/sessions/${user.sessionId}`, {
      method: 'DELETE',
      headers: bearer(user),
    });
    expect(revoked.status).toBe(204);
    expect(await me(b, user)).toBe(401);

    const suspended = await fetch(`${a.url}/api/v1/admin/users/${other.username}/suspend`, {
      method: 'POST',
      headers: bearer(moderator),
    });
    expect(suspended.status).toBe(204);
    expect(await me(b, other)).toBe(401);
  });

  it('a revocation whose own message was lost still reaches B through the relay', async () => {
    const user = await createUser(ctx.db);
    await warm(user);
    // Revoked in the database as the routes do, but without their forget(): as if its publish failed.
    await ctx.db.transaction().execute((trx) => revokeSessions(trx, { sessionId: user.sessionId }));
    await waitFor(async () => (await me(b, user)) === 401, {
      what: 'B to forget the session when the relay delivers session:revoked',
    });
  });

  it('a demotion on A takes the role away on B at once', async () => {
    const admin = await createUser(ctx.db, { role: 'admin' });
    const demoted = await createUser(ctx.db, { role: 'admin' });
    const target = await createUser(ctx.db);
    const stats = (user: { token: string }) =>
      fetch(`${b.url}/api/v1/admin/stats`, { headers: bearer(user) }).then(async (res) => {
        await res.arrayBuffer();
        return res.status;
      });
    expect(await stats(demoted)).toBe(200);
    expect(await stats(demoted)).toBe(200);
    const res = await fetch(`${a.url}/api/v1/admin/users/${demoted.username}/role`, {
      method: 'PUT',
      headers: { ...bearer(admin), 'content-type': 'application/json' },
      body: JSON.stringify({ role: 'member' }),
    });
    expect(res.status).toBe(200);
    expect(await stats(demoted)).toBe(403);
    // …and nothing else was forgotten for nothing: others keep working.
    expect(await me(b, target)).toBe(200);
  });

  it('a demotion whose own message was lost still reaches B through the relay', async () => {
    const admin = await createUser(ctx.db, { role: 'admin' });
    const demoted = await createUser(ctx.db, { role: 'admin' });
    const stats = () =>
      fetch(`${b.url}/api/v1/admin/stats`, { headers: bearer(demoted) }).then(async (res) => {
        await res.arrayBuffer();
        return res.status;
      });
    expect(await stats()).toBe(200);
    expect(await stats()).toBe(200);
    // The route's service, with a Redis that refuses the publish: B never hears this instance's word.
    const closed = createRedis(ctx.redisUrl, 'commands', 'test-closed');
    await closeRedis(closed);
    const deps = { db: ctx.db, redis: closed, config: loadConfig(ctx.env), logger };
    await changeRole(
      deps,
      { userId: admin.id, username: admin.username, sessionId: admin.sessionId, role: 'admin' },
      demoted.username,
      'member',
    );
    // Well within the cache's 30 s: the relay's delivery of the role change makes B forget.
    await waitFor(async () => (await stats()) === 403, {
      timeoutMs: 5_000,
      what: 'B to forget the demoted session when the relay delivers the role change',
    });
  });
});
