// One client's reach over sockets, against two real server processes: every spelling of an id is one
// topic and one room, and one address holds a bounded number of connections across the cluster.
import type { AnyPush, Comment } from '@plaza/client/protocol';
import { type Socket as ClientSocket, io as connect } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rest, writePost } from '../feed/feed-live.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { createUser, type TestUser } from '../helpers/factories.ts';
import { type PlazaProcess, startServer, stopAll } from '../helpers/processes.ts';
import { sleep, waitFor } from '../helpers/wait.ts';

const PER_ADDRESS = 4;

let ctx: TestContext;
let a: PlazaProcess;
let b: PlazaProcess;
const clients: ClientSocket[] = [];

beforeAll(async () => {
  ctx = await createTestContext({ POSTS_PER_MINUTE: '1000', SOCKETS_PER_ADDRESS: String(PER_ADDRESS) });
  [a, b] = await Promise.all([startServer(ctx.env, 'limits-a'), startServer(ctx.env, 'limits-b')]);
});

afterAll(async () => {
  for (const socket of clients) socket.close();
  await stopAll([a, b]);
  await ctx.close();
});

interface Opened {
  socket: ClientSocket;
  pushes: AnyPush[];
}

/** Connects; resolves with the socket, or rejects with the connect_error. */
function open(url: string, user?: TestUser): Promise<Opened> {
  const socket = connect(url, {
    transports: ['websocket'],
    auth: user ? { token: user.token } : {},
    reconnection: false,
    forceNew: true,
  });
  clients.push(socket);
  const pushes: AnyPush[] = [];
  // Sequenced pushes only: `presence:stats` has no seq (it is counted, not logged).
  socket.onAny((event: string, payload: AnyPush) => {
    if (event !== 'presence:stats') pushes.push(payload);
  });
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve({ socket, pushes }));
    socket.once('connect_error', (error) => {
      socket.close();
      reject(error);
    });
  });
}

const ask = (socket: ClientSocket, event: string, payload: unknown) =>
  socket.timeout(5_000).emitWithAck(event, payload) as Promise<{ ok: boolean; error?: { code: string } }>;

describe('ids in topics and paths', () => {
  it('delivers each push of a post once to a socket that named it in other letter cases, whatever case the REST path used', async () => {
    const [ann, ben] = [await createUser(ctx.db), await createUser(ctx.db)];
    const post = await writePost(a.url, ann, 'case study');
    const upper = post.id.toUpperCase();
    const watcher = await open(b.url);
    const reply = await ask(watcher.socket, 'subscribe', { topics: [`post:${upper}`, `post:${post.id}`] });
    expect(reply.ok).toBe(true);

    expect((await rest(a.url, 'PUT', `/posts/${upper}/like`, ben))[0]).toBe(200);
    const [, comment] = await rest<Comment>(a.url, 'POST', `/posts/${upper}/comments`, ben, { body: 'hi' });
    expect((await rest(b.url, 'DELETE', `/posts/${upper}`, ann))[0]).toBe(204);

    await waitFor(() => watcher.pushes.some((p) => p.type === 'post:deleted'), {
      what: 'the deletion to reach the post topic',
    });
    await sleep(300);
    expect(watcher.pushes.map((p) => p.type)).toEqual([
      'post:stats',
      'comment:created',
      'post:stats',
      'post:deleted',
    ]);
    expect(watcher.pushes[1]!.data).toMatchObject({ comment: { id: comment.id, postId: post.id } });
    expect(watcher.pushes[3]!.data).toEqual({ postId: post.id });
    watcher.socket.close();
  });
});

/**
 * Opens once a slot is free. Sockets the test closed release their slots when their transports have
 * closed, a moment later: a test that needs its slots waits for them instead of racing the one before.
 */
const openWhenFree = (url: string, timeoutMs?: number) =>
  waitFor(
    () =>
      open(url).then(
        (o) => o,
        () => null,
      ),
    { what: 'a free connection slot', intervalMs: 100, ...(timeoutMs ? { timeoutMs } : {}) },
  );

describe('connections per address', () => {
  it(`refuses the connection past ${PER_ADDRESS} from one address, counted across instances, and frees a slot on disconnect`, async () => {
    const held = [
      await openWhenFree(a.url),
      await openWhenFree(a.url),
      await openWhenFree(b.url),
      await openWhenFree(b.url),
    ];
    for (const url of [a.url, b.url]) {
      const refused = await open(url).then(
        () => null,
        (error: Error & { data?: { code?: string } }) => error,
      );
      expect(refused?.message).toBe('rate_limited');
      expect(refused?.data?.code).toBe('rate_limited');
    }
    // Closing one on A lets one in on B.
    held[0]!.socket.close();
    const again = await openWhenFree(b.url);
    expect(again.socket.connected).toBe(true);
    for (const opened of [...held, again]) opened.socket.close();
  });

  it('frees the slots of an instance that died, without anyone cleaning up after it', async () => {
    // Runs last: it kills B.
    const onB = [await openWhenFree(b.url), await openWhenFree(b.url), await openWhenFree(b.url)];
    const onA = await openWhenFree(a.url);
    await expect(open(a.url)).rejects.toThrow('rate_limited');
    await b.kill();
    for (const opened of onB) opened.socket.close();
    // B's count in Redis expires within its TTL (30 s after B's last heartbeat); then A admits again.
    const later = await openWhenFree(a.url, 45_000);
    expect(later.socket.connected).toBe(true);
    onA.socket.close();
    later.socket.close();
  }, 60_000);
});
