import pg from 'pg';
import { io } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { type PlazaProcess, startServer, stopAll } from '../helpers/processes.ts';
import { sleep, waitFor } from '../helpers/wait.ts';

let ctx: TestContext;
const servers: PlazaProcess[] = [];

beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(async () => {
  await stopAll(servers);
  await ctx.close();
});

const isLeader = async (p: PlazaProcess) =>
  ((await (await fetch(`${p.url}/health`)).json()) as { relayLeader: boolean }).relayLeader;

describe('graceful shutdown', () => {
  it('on SIGTERM finishes the request in flight, disconnects sockets, hands the relay over and exits 0', async () => {
    const leader = await startServer(ctx.env, 'leader');
    servers.push(leader);
    await waitFor(() => isLeader(leader), { what: 'leader' });
    const other = await startServer(ctx.env, 'other');
    servers.push(other);

    const socket = io(leader.url, { transports: ['websocket'], reconnection: false });
    await new Promise((resolve) => socket.once('connect', () => resolve(undefined)));
    const disconnected = new Promise((resolve) => socket.once('disconnect', resolve));

    // Hold the relay state table so an API GET (which reads the seq first) stays in flight.
    const blocker = new pg.Client({ connectionString: ctx.databaseUrl });
    await blocker.connect();
    await blocker.query('begin');
    await blocker.query('lock table relay_state in access exclusive mode');
    const inFlight = fetch(`${leader.url}/api/v1/anything`);
    await sleep(300);

    const signalled = Date.now();
    leader.child.kill('SIGTERM');
    await sleep(300);
    await blocker.query('rollback');
    await blocker.end();

    const response = await inFlight;
    expect(response.status).toBe(404);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('not_found');
    await disconnected;
    const exit = await leader.exited;
    expect(exit).toEqual({ code: 0, signal: null });
    expect(Date.now() - signalled).toBeLessThan(10_000);
    await waitFor(() => isLeader(other), { what: 'the other instance to take the relay over' });
    socket.close();
  });

  it('closes its port once stopped', async () => {
    const server = await startServer(ctx.env, 'draining');
    servers.push(server);
    server.child.kill('SIGTERM');
    await server.exited;
    await expect(fetch(`${server.url}/health`)).rejects.toThrow();
  });
});
