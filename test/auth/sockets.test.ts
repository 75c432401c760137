// Revocation across instances with real server processes: the socket lives on B, the revocation happens on A.
import { io } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSession } from '../../server/auth/sessions.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { bearer, createUser } from '../helpers/factories.ts';
import { connectLive, type Recorder } from '../helpers/live.ts';
import { type PlazaProcess, startServer, stopAll } from '../helpers/processes.ts';
import { sleep, waitFor } from '../helpers/wait.ts';

let ctx: TestContext;
let a: PlazaProcess;
let b: PlazaProcess;

const isLeader = async (p: PlazaProcess) =>
  ((await (await fetch(`${p.url}/health`)).json()) as { relayLeader: boolean }).relayLeader;

beforeAll(async () => {
  ctx = await createTestContext();
  a = await startServer(ctx.env, 'server-a');
  await waitFor(() => isLeader(a), { what: 'instance A to lead the relay' });
  b = await startServer(ctx.env, 'server-b');
});

afterAll(async () => {
  await stopAll([a, b]);
  await ctx.close();
});

/** A live socket on `server` that records when (and why) the server dropped it. */
async function liveOn(server: PlazaProcess, token: string) {
  const client = await connectLive({ url: server.url, token, topics: ['feed'] });
  const dropped: { at: number; reason: string }[] = [];
  client.live.socket.on('disconnect', (reason) => dropped.push({ at: Date.now(), reason }));
  return { client, dropped };
}

const closeAll = (clients: Recorder[]) => {
  for (const c of clients) c.close();
};

describe('session revocation and sockets', () => {
  it("disconnects a revoked session's socket held by the other instance within a second", async () => {
    const user = await createUser(ctx.db);
    const other = await createSession(ctx.db, user.id, 'other device');
    const revoked = await liveOn(b, user.token);
    const survivor = await liveOn(b, other.token);

    const started = Date.now();
    const res = await fetch(`${a.url}/api/v1/auth/sessions/${user.sessionId}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${other.token}` },
    });
    expect(res.status).toBe(204);
    await waitFor(() => revoked.dropped.length > 0, { timeoutMs: 1_000, what: 'the revoked socket to drop' });
    expect(revoked.dropped[0]!.at - started).toBeLessThan(1_000);
    expect(revoked.dropped[0]!.reason).toBe('io server disconnect');
    expect(revoked.client.raw.map((p) => p.type)).toContain('session:revoked');
    expect(revoked.client.raw.find((p) => p.type === 'session:revoked')?.data).toEqual({
      sessionId: user.sessionId,
    });

    await sleep(300);
    expect(survivor.dropped).toEqual([]);
    expect(survivor.client.live.socket.connected).toBe(true);
    closeAll([revoked.client, survivor.client]);
  });

  it('disconnects every socket of a suspended user, on every instance', async () => {
    const moderator = await createUser(ctx.db, { role: 'moderator' });
    const user = await createUser(ctx.db);
    const onA = await liveOn(a, user.token);
    const onB = await liveOn(b, user.token);
    const res = await fetch(`${a.url}/api/v1/admin/users/${user.username}/suspend`, {
      method: 'POST',
      headers: bearer(moderator),
    });
    expect(res.status).toBe(204);
    await waitFor(() => onA.dropped.length > 0 && onB.dropped.length > 0, {
      timeoutMs: 1_000,
      what: 'both sockets to drop',
    });
    closeAll([onA.client, onB.client]);
  });

  it('refuses a handshake with a revoked token', async () => {
    const user = await createUser(ctx.db);
    await fetch(`${a.url}/api/v1/auth/logout`, { method: 'POST', headers: bearer(user) });
    const socket = io(b.url, { transports: ['websocket'], auth: { token: user.token }, reconnection: false });
    const error = await new Promise<Error>((resolve) => socket.on('connect_error', resolve));
    expect(error.message).toBe('Sign in first');
    socket.close();
  });
});

describe('anonymous sockets', () => {
  it('may read public topics but not `me`', async () => {
    const anonymous = await connectLive({ url: b.url, topics: ['feed'] });
    expect(anonymous.live.socket.connected).toBe(true);
    await expect(anonymous.live.command('subscribe', { topics: ['me'] })).rejects.toMatchObject({
      error: { code: 'forbidden' },
    });
    anonymous.close();
  });
});

describe('role changes and open sockets', () => {
  const postBy = async (author: { token: string }) => {
    const res = await fetch(`${a.url}/api/v1/posts`, {
      method: 'POST',
      headers: { ...bearer(author), 'content-type': 'application/json' },
      body: JSON.stringify({ body: 'mine, not the moderator’s' }),
    });
    expect(res.status).toBe(201);
    return ((await res.json()) as { id: string }).id;
  };
  const postExists = async (id: string) => (await fetch(`${a.url}/api/v1/posts/${id}`)).status === 200;

  /** `post:delete` on `client`'s socket: its ack, or how it failed (the socket dropped meanwhile). */
  const deleteOn = async (client: Recorder, id: string) => {
    try {
      const ack = (await client.live.socket.timeout(5_000).emitWithAck('post:delete', { id })) as {
        ok: boolean;
        error?: { code: string };
      };
      return ack.ok ? 'deleted' : ack.error!.code;
    } catch {
      return 'dropped';
    }
  };

  it("a moderator demoted on A loses moderator powers on B's open socket", async () => {
    const admin = await createUser(ctx.db, { role: 'admin' });
    const moderator = await createUser(ctx.db, { role: 'moderator' });
    const author = await createUser(ctx.db);
    const first = await postBy(author);
    const second = await postBy(author);
    const held = await liveOn(b, moderator.token);

    const res = await fetch(`${a.url}/api/v1/admin/users/${moderator.username}/role`, {
      method: 'PUT',
      headers: { ...bearer(admin), 'content-type': 'application/json' },
      body: JSON.stringify({ role: 'member' }),
    });
    expect(res.status).toBe(200);
    // At once, on the socket opened as a moderator: refused (or the socket is already gone).
    expect(['forbidden', 'dropped']).toContain(await deleteOn(held.client, first));
    expect(await postExists(first)).toBe(true);
    // Its rooms were joined with the old role too: the socket is dropped on every instance.
    await waitFor(() => held.dropped.length > 0, {
      timeoutMs: 2_000,
      what: "the demoted moderator's socket to drop",
    });
    // Connected again, it is a member's socket.
    held.client.live.socket.connect();
    await waitFor(() => held.client.live.socket.connected, { what: 'the socket to reconnect' });
    expect(await deleteOn(held.client, second)).toBe('forbidden');
    expect(await postExists(second)).toBe(true);
    held.client.close();
  });

  it("a suspended moderator's open socket on B deletes nothing and is dropped", async () => {
    const admin = await createUser(ctx.db, { role: 'admin' });
    const moderator = await createUser(ctx.db, { role: 'moderator' });
    const author = await createUser(ctx.db);
    const post = await postBy(author);
    const held = await liveOn(b, moderator.token);

    const res = await fetch(`${a.url}/api/v1/admin/users/${moderator.username}/suspend`, {
      method: 'POST',
      headers: bearer(admin),
    });
    expect(res.status).toBe(204);
    expect(['unauthenticated', 'dropped']).toContain(await deleteOn(held.client, post));
    expect(await postExists(post)).toBe(true);
    await waitFor(() => held.dropped.length > 0, {
      timeoutMs: 2_000,
      what: "the suspended moderator's socket to drop",
    });
    held.client.close();
  });
});
