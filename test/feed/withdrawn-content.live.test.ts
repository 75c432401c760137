// Content that was withdrawn stays withdrawn on the live stream, against two real server processes: a
// deleted post's or comment's body is not replayed by `resume`, and once a moderator rejects an event
// the sockets of those who may no longer see it get nothing more from its room, on either instance.
import type { AnyPush, Comment, Event } from '@plaza/client/protocol';
import { type Socket as ClientSocket, io as connect } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { createUser, type TestUser } from '../helpers/factories.ts';
import { type PlazaProcess, startServer, stopAll } from '../helpers/processes.ts';
import { sleep, waitFor } from '../helpers/wait.ts';
import { loggedEvents, newestSeq, rest, writePost } from './feed-live.ts';

let ctx: TestContext;
let a: PlazaProcess;
let b: PlazaProcess;
const clients: ClientSocket[] = [];

beforeAll(async () => {
  ctx = await createTestContext({ POSTS_PER_MINUTE: '1000' });
  [a, b] = await Promise.all([startServer(ctx.env, 'withdrawn-a'), startServer(ctx.env, 'withdrawn-b')]);
});

afterAll(async () => {
  for (const socket of clients) socket.close();
  await stopAll([a, b]);
  await ctx.close();
});

interface Watcher {
  socket: ClientSocket;
  pushes: AnyPush[];
}

async function watch(url: string, user: TestUser | null, topics: string[]): Promise<Watcher> {
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
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  const reply = (await socket.timeout(5_000).emitWithAck('subscribe', { topics })) as { ok: boolean };
  expect(reply.ok).toBe(true);
  return { socket, pushes };
}

/** Replays from `since` and answers what the replay sent (the pushes between the command and its ack). */
async function resume(watcher: Watcher, since: number): Promise<AnyPush[]> {
  const before = watcher.pushes.length;
  const reply = (await watcher.socket.timeout(10_000).emitWithAck('resume', { since })) as { ok: boolean };
  expect(reply.ok).toBe(true);
  return watcher.pushes.slice(before);
}

/** Waits until the relay has sent everything logged so far (so a resume reads every row of the test). */
async function relayed(type: string, rooms: string[], since: number): Promise<void> {
  await waitFor(async () => (await loggedEvents(ctx.db, rooms, since)).some((e) => e.type === type), {
    what: `${type} relayed`,
  });
}

describe('deleted content on resume', () => {
  it('replays no body of a post deleted since, nor of its edits and comments, but still its deletion', async () => {
    const [ann, ben] = [await createUser(ctx.db), await createUser(ctx.db)];
    const since = await newestSeq(ctx.db);
    const post = await writePost(a.url, ann, 'secret post body');
    const watcher = await watch(b.url, ben, ['feed', `post:${post.id}`]);
    await rest(a.url, 'PATCH', `/posts/${post.id}`, ann, { body: 'secret edited body' });
    await rest(b.url, 'POST', `/posts/${post.id}/comments`, ben, { body: 'secret comment body' });
    expect((await rest(b.url, 'DELETE', `/posts/${post.id}`, ann))[0]).toBe(204);
    await relayed('post:deleted', [`post:${post.id}`], since);
    // The deletion itself reached the socket live.
    await waitFor(() => watcher.pushes.some((p) => p.type === 'post:deleted'), { what: 'the live deletion' });

    const replayed = await resume(watcher, since);
    expect(JSON.stringify(replayed)).not.toContain('secret');
    expect(replayed.filter((p) => p.type === 'post:deleted').map((p) => p.data)).toEqual([
      { postId: post.id },
    ]);
    // A socket that connects afterwards and replays the feed from before sees no body either.
    const late = await watch(a.url, null, ['feed']);
    const lateReplay = await resume(late, since);
    expect(JSON.stringify(lateReplay)).not.toContain('secret');
    expect(lateReplay.some((p) => p.type === 'post:deleted')).toBe(true);
  });

  it('replays no body of a comment deleted since, but still its deletion', async () => {
    const [ann, ben] = [await createUser(ctx.db), await createUser(ctx.db)];
    const post = await writePost(a.url, ann, 'a post that stays');
    const since = await newestSeq(ctx.db);
    const [, comment] = await rest<Comment>(a.url, 'POST', `/posts/${post.id}/comments`, ben, {
      body: 'hidden comment body',
    });
    expect((await rest(b.url, 'DELETE', `/comments/${comment.id}`, ben))[0]).toBe(204);
    await relayed('comment:deleted', [`post:${post.id}`], since);

    const watcher = await watch(b.url, null, [`post:${post.id}`]);
    const replayed = await resume(watcher, since);
    expect(JSON.stringify(replayed)).not.toContain('hidden comment body');
    expect(replayed.map((p) => p.type)).toContain('comment:deleted');
    expect(replayed.find((p) => p.type === 'comment:deleted')?.data).toEqual({
      commentId: comment.id,
      postId: post.id,
    });
  });
});

describe('a rejected event', () => {
  it("stops reaching members' sockets in its room on both instances, while its organizer's and moderators' still get it", async () => {
    const organizer = await createUser(ctx.db);
    const moderator = await createUser(ctx.db, { role: 'moderator' });
    const member = await createUser(ctx.db);
    const start = Date.now() + 2 * 3_600_000;
    const [status, event] = await rest<Event>(a.url, 'POST', '/events', organizer, {
      title: 'Dubious meetup',
      description: 'Soon to be rejected.',
      startsAt: new Date(start).toISOString(),
      endsAt: new Date(start + 3_600_000).toISOString(),
    });
    expect(status).toBe(201);
    // Its organizer takes part: leaving after the rejection (which only they and moderators may still do)
    // is news for the event's room.
    expect((await rest(a.url, 'PUT', `/events/${event.id}/participation`, organizer))[0]).toBe(200);

    const topic = `event:${event.id}`;
    const members = [await watch(a.url, member, [topic]), await watch(b.url, member, [topic])];
    const anonymous = await watch(b.url, null, [topic]);
    const organizers = await watch(b.url, organizer, [topic]);
    const moderators = await watch(a.url, moderator, [topic]);

    const [rejected] = await rest<Event>(b.url, 'POST', `/events/${event.id}/reject`, moderator, {
      reason: 'spam',
    });
    expect(rejected).toBe(200);
    for (const w of [...members, anonymous, organizers, moderators]) {
      await waitFor(() => w.pushes.some((p) => p.type === 'event:updated'), { what: 'the rejection push' });
    }
    const atRejection = [...members, anonymous].map((w) => w.pushes.length);

    expect((await rest(a.url, 'DELETE', `/events/${event.id}/participation`, organizer))[0]).toBe(200);
    for (const w of [organizers, moderators]) {
      await waitFor(() => w.pushes.some((p) => p.type === 'event:participation' && p.data.status === null), {
        what: 'the leave to reach those who may see the event',
      });
    }
    await sleep(300);
    expect([...members, anonymous].map((w) => w.pushes.length)).toEqual(atRejection);
    // Nor does a replay bring it back.
    const replayed = await resume(members[1]!, 0);
    expect(replayed.filter((p) => p.topic === topic && p.type === 'event:participation')).toEqual([]);
  });
});
