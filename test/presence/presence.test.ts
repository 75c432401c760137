// Presence across two real instances (API.md "Presence"): exact counts within a second of each step on both
// instances, a SIGKILLed instance's watchers gone within 30 s, blocked users left out of the sample, and at
// most one push per second per topic under a join/leave flood.
import { createClient, LiveCommandError, type PlazaClient, type PresenceStats } from '@plaza/client';
import { io as connect, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rest, writePost } from '../feed/feed-live.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { createUser, type TestUser } from '../helpers/factories.ts';
import { type PlazaProcess, startServer, stopAll } from '../helpers/processes.ts';
import { waitFor } from '../helpers/wait.ts';

/**
 * The contract's bound is 1 s after a step; pushes land at the end of the current 1 s window plus one
 * Redis round trip and one adapter hop, which a loaded 2-core box stretches by a few tens of ms.
 */
const STEP_BOUND_MS = 1_000;
const HOP_SLACK_MS = 250;

let ctx: TestContext;
let a: PlazaProcess;
let b: PlazaProcess;
const sockets: Socket[] = [];
const clients: PlazaClient[] = [];

beforeAll(async () => {
  ctx = await createTestContext({ SOCKETS_PER_ADDRESS: '1000', POSTS_PER_MINUTE: '1000' });
  [a, b] = await Promise.all([startServer(ctx.env, 'presence-a'), startServer(ctx.env, 'presence-b')]);
}, 90_000);

afterAll(async () => {
  for (const socket of sockets) socket.disconnect();
  for (const client of clients) client.close();
  await stopAll([a, b]);
  await ctx?.close();
});

type Reply<T> = { ok: true; data: T } | { ok: false; error: { code: string } };

async function open(url: string, user: TestUser | null): Promise<Socket> {
  const socket = connect(url, {
    transports: ['websocket'],
    auth: user ? { token: user.token } : {},
    reconnection: false,
    forceNew: true,
  });
  sockets.push(socket);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('connect_error', reject);
  });
  return socket;
}

async function command<T>(socket: Socket, name: string, input: unknown): Promise<T> {
  const reply = (await socket.timeout(10_000).emitWithAck(name, input)) as Reply<T>;
  if (!reply.ok) throw new Error(`${name} refused: ${reply.error.code}`);
  return reply.data;
}

/** An SDK client on one instance that follows a topic and keeps every `presence:stats` it gets. */
async function observer(url: string, user: TestUser, topic: string) {
  const client = createClient({ url, token: user.token, live: { transports: ['websocket'] } });
  clients.push(client);
  const stats: Array<PresenceStats & { at: number }> = [];
  client.onPresence((s) => stats.push({ ...s, at: Date.now() }), topic);
  await client.subscribe(topic, {});
  return { client, stats, latest: () => stats.at(-1) };
}

type Observer = Awaited<ReturnType<typeof observer>>;

/** Both observers' last push and both instances' `presence` answer show these numbers, within the bound. */
async function expectCounts(
  observers: Observer[],
  topic: string,
  clientsWanted: number,
  users: number,
  boundMs = STEP_BOUND_MS,
) {
  const stepDone = Date.now();
  const exact = (s?: { clients: number; users: number }) => s?.clients === clientsWanted && s.users === users;
  await Promise.all(
    observers.map(async (o) => {
      // One look every 100 ms: within the socket's command budget (20 a second).
      await waitFor(async () => exact(await o.client.presence(topic)), {
        timeoutMs: boundMs,
        intervalMs: 100,
        what: `presence ${topic} = ${clientsWanted}/${users}`,
      });
      await waitFor(() => exact(o.latest()), {
        timeoutMs: stepDone + boundMs + HOP_SLACK_MS - Date.now(),
        what: `presence:stats ${topic} = ${clientsWanted}/${users} (last ${JSON.stringify(o.latest())})`,
      });
    }),
  );
}

describe('presence across instances', () => {
  it('counts 200 sockets joining and leaving a post on both instances, and drops a SIGKILLed instance', async () => {
    const author = await createUser(ctx.db);
    const post = await writePost(a.url, author, 'watched by many');
    const topic = `post:${post.id}`;
    const users = await Promise.all(Array.from({ length: 100 }, () => createUser(ctx.db)));
    const [watcherA, watcherB] = [await createUser(ctx.db), await createUser(ctx.db)];
    const observers = [await observer(a.url, watcherA, topic), await observer(b.url, watcherB, topic)];
    // Not a step of the contract yet: the instances just started (cold code, first queries).
    await expectCounts(observers, topic, 2, 2, 5_000);

    // 200 sockets, even ones on A, odd on B: 150 signed in (users 0-49 twice, 50-99 once), 50 anonymous.
    const many = await Promise.all(
      Array.from({ length: 200 }, (_, i) => open(i % 2 ? b.url : a.url, i < 150 ? users[i % 100]! : null)),
    );
    const subscribeAll = (list: Socket[]) =>
      Promise.all(list.map((s) => command(s, 'subscribe', { topics: [topic] })));
    const unsubscribeAll = (list: Socket[]) =>
      Promise.all(list.map((s) => command(s, 'unsubscribe', { topics: [topic] })));

    await subscribeAll(many.slice(0, 100));
    await expectCounts(observers, topic, 102, 102);
    await subscribeAll(many.slice(100));
    await expectCounts(observers, topic, 202, 102);
    await unsubscribeAll(many.slice(150));
    await expectCounts(observers, topic, 152, 102);
    // A disconnect counts as leaving too.
    for (const s of many.slice(0, 50)) s.disconnect();
    await expectCounts(observers, topic, 102, 102);
    const back = await Promise.all(
      many.slice(0, 50).map((_, i) => open(i % 2 ? b.url : a.url, users[i % 100]!)),
    );
    many.splice(0, 50, ...back);
    await subscribeAll([...many.slice(0, 50), ...many.slice(150)]);
    await expectCounts(observers, topic, 202, 102);

    // B holds 100 of them (and its observer): what A sees loses them within 30 s, without B saying anything.
    const killedAt = Date.now();
    await b.kill();
    // Left on A: the even sockets, 75 signed in (users 0-98 even, 0-48 even twice = 50 users), + A's watcher.
    const [onA] = observers;
    await waitFor(() => onA!.latest()?.clients === 101 && onA!.latest()?.users === 51, {
      timeoutMs: 30_000,
      intervalMs: 200,
      what: `A's presence:stats to drop B's sockets (last ${JSON.stringify(onA!.latest())})`,
    });
    expect(Date.now() - killedAt).toBeLessThanOrEqual(30_000);
    expect(await onA!.client.presence(topic)).toMatchObject({ clients: 101, users: 51 });
  }, 60_000);

  it('leaves users hidden from the caller (blocked either way, muted) out of the sample, not out of the counts', async () => {
    const author = await createUser(ctx.db);
    const post = await writePost(a.url, author, 'watched by a few');
    const topic = `post:${post.id}`;
    const [blocker, blocked, muter, other] = await Promise.all([
      createUser(ctx.db),
      createUser(ctx.db),
      createUser(ctx.db),
      createUser(ctx.db),
    ]);
    expect((await rest(a.url, 'PUT', `/users/${blocked.username}/block`, blocker))[0]).toBe(200);
    expect((await rest(a.url, 'PUT', `/users/${other.username}/mute`, muter, {}))[0]).toBe(200);
    const socketOf = new Map<TestUser, Socket>();
    for (const user of [blocker, blocked, muter, other]) {
      const socket = await open(a.url, user);
      await command(socket, 'subscribe', { topics: [topic] });
      socketOf.set(user, socket);
    }
    const sampleOf = async (user: TestUser) => {
      const answer = await command<{ clients: number; users: number; sample: Array<{ username: string }> }>(
        socketOf.get(user)!,
        'presence',
        { topic },
      );
      expect(answer).toMatchObject({ clients: 4, users: 4 });
      return answer.sample.map((u) => u.username).sort();
    };
    const names = (...list: TestUser[]) => list.map((u) => u.username).sort();
    expect(await sampleOf(blocker)).toEqual(names(blocker, muter, other));
    expect(await sampleOf(blocked)).toEqual(names(blocked, muter, other));
    expect(await sampleOf(muter)).toEqual(names(blocker, blocked, muter));
    expect(await sampleOf(other)).toEqual(names(blocker, blocked, muter, other));

    // The same access rules as subscribe: an unknown post is not found, a topic without presence refused.
    const refused = async (t: string) => {
      const reply = (await socketOf
        .get(other)!
        .timeout(5_000)
        .emitWithAck('presence', { topic: t })) as Reply<unknown>;
      return reply.ok ? 'ok' : reply.error.code;
    };
    expect(await refused('post:0190abcd-0000-7000-8000-000000000000')).toBe('not_found');
    expect(await refused('home')).toBe('validation_failed');
    expect(await refused('events')).toBe('validation_failed');
    const anonymous = createClient({ url: a.url, live: { transports: ['websocket'] } });
    clients.push(anonymous);
    await expect(anonymous.presence('me')).rejects.toBeInstanceOf(LiveCommandError);
    expect((await anonymous.presence(topic)).sample).toHaveLength(4);
  });

  it('pushes at most once a second per topic under ~1,000 joins and leaves a second, and the last numbers', async () => {
    const watcher = await createUser(ctx.db);
    const o = await observer(a.url, watcher, 'feed');
    const churners = await Promise.all(Array.from({ length: 50 }, () => open(a.url, null)));
    const started = Date.now();
    let operations = 0;
    // ~1,000 subscribe/unsubscribe a second for 3 s, in rounds of 50 (each socket joins, then leaves).
    while (Date.now() - started < 3_000) {
      const round = Date.now();
      await Promise.all(churners.map((s) => command(s, 'subscribe', { topics: ['feed'] })));
      await Promise.all(churners.map((s) => command(s, 'unsubscribe', { topics: ['feed'] })));
      operations += 100;
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, 100 - (Date.now() - round))));
    }
    const seconds = (Date.now() - started) / 1_000;
    expect(operations / seconds).toBeGreaterThan(500);
    // After the flood: the observer alone, pushed as the last numbers.
    await waitFor(() => o.latest()?.clients === 1, {
      timeoutMs: STEP_BOUND_MS + HOP_SLACK_MS,
      what: 'last push',
    });
    const during = o.stats.filter((s) => s.at >= started);
    expect(during.length).toBeGreaterThan(1);
    expect(during.length).toBeLessThanOrEqual(Math.ceil(seconds) + 2);
    for (let i = 1; i < during.length; i++) {
      // Delivery jitter only: the windows themselves are a full second apart in Redis.
      expect(during[i]!.at - during[i - 1]!.at).toBeGreaterThanOrEqual(900);
    }
  });
});
