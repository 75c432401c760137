// Data exports and account deletion through the real routes, with a worker building archives, purging
// deleted accounts, settling transfers and sending emails to an SMTP sink.
import { randomUUID } from 'node:crypto';
import { strFromU8, unzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createUser, TEST_PASSWORD, type TestUser } from '../helpers/factories.ts';
import { waitFor } from '../helpers/wait.ts';
import { checkLedger } from '../wallet/ledger-checks.ts';
import { type LifecycleHarness, startLifecycleHarness } from './lifecycle-harness.ts';

let h: LifecycleHarness;
let admin: TestUser;

beforeAll(async () => {
  h = await startLifecycleHarness();
  admin = await createUser(h.ctx.db, { role: 'admin' });
});

afterAll(async () => {
  await h?.close();
});

const body = async <T>(res: Response) => (await res.json()) as T;

async function post(user: TestUser, text: string): Promise<string> {
  const res = await h.call('POST', '/posts', { body: text }, bearer(user));
  expect(res.status).toBe(201);
  return (await body<{ id: string }>(res)).id;
}

async function settledTransfer(from: TestUser | null, to: TestUser, amountCents: number): Promise<string> {
  const res = from
    ? await h.call(
        'POST',
        '/transfers',
        { to: to.username, amountCents, memo: 'for you' },
        { ...bearer(from), 'idempotency-key': randomUUID() },
      )
    : await h.call(
        'POST',
        '/admin/mint',
        { username: to.username, amountCents },
        { ...bearer(admin), 'idempotency-key': randomUUID() },
      );
  expect(res.status).toBe(202);
  const { id } = await body<{ id: string }>(res);
  await waitFor(
    async () =>
      (await h.ctx.db.selectFrom('transfers').select('status').where('id', '=', id).executeTakeFirst())
        ?.status === 'completed',
    { what: `transfer ${id} to settle` },
  );
  return id;
}

describe('data export', () => {
  it('is built once a day into a ZIP of every post, comment and transfer of the account, and nothing private of others', async () => {
    const ada = await createUser(h.ctx.db);
    const bob = await createUser(h.ctx.db);
    const adaPosts = [await post(ada, 'first words'), await post(ada, 'second words')];
    const bobPost = await post(bob, 'bob speaks');
    const comment = await h.call('POST', `/posts/${bobPost}/comments`, { body: 'ada answers' }, bearer(ada));
    expect(comment.status).toBe(201);
    const commentId = (await body<{ id: string }>(comment)).id;
    const minted = await settledTransfer(null, ada, 1_000);
    const sent = await settledTransfer(ada, bob, 300);

    const res = await h.call('POST', '/me/export', undefined, bearer(ada));
    expect(res.status).toBe(202);
    const requested = await body<{ id: string; status: string }>(res);
    expect(requested.status).toBe('pending');
    const again = await h.call('POST', '/me/export', undefined, bearer(ada));
    expect(again.status).toBe(429);
    expect(Number(again.headers.get('retry-after'))).toBeGreaterThan(3600);

    const mail = await h.sink.waitForMessage(
      ada.email,
      (m) => /data export is ready/.test(m.subject),
      30_000,
    );
    expect(mail.text).toContain(`/api/v1/me/exports/${requested.id}/download`);
    const notified = await h.ctx.db
      .selectFrom('notifications')
      .select('type')
      .where('user_id', '=', ada.id)
      .where('type', '=', 'export_ready')
      .execute();
    expect(notified).toHaveLength(1);
    const listed = await body<Array<{ id: string; status: string }>>(
      await h.call('GET', '/me/exports', undefined, bearer(ada)),
    );
    expect(listed[0]).toMatchObject({ id: requested.id, status: 'ready' });

    // Someone else's export is not theirs to learn of.
    expect((await h.call('GET', `/me/exports/${requested.id}/download`, undefined, bearer(bob))).status).toBe(
      404,
    );
    const download = await h.call('GET', `/me/exports/${requested.id}/download`, undefined, bearer(ada));
    expect(download.status).toBe(302);
    const location = new URL(download.headers.get('location')!);
    const file = await h.app.request(location.pathname + location.search);
    expect(file.status).toBe(200);
    const files = unzipSync(new Uint8Array(await file.arrayBuffer()));
    const read = (name: string) => JSON.parse(strFromU8(files[name]!)) as unknown;

    const posts = read('posts.json') as Array<{ id: string }>;
    expect(posts.map((p) => p.id).sort()).toEqual([...adaPosts].sort());
    expect((read('comments.json') as Array<{ id: string }>).map((c) => c.id)).toEqual([commentId]);
    expect((read('transfers.json') as Array<{ id: string }>).map((t) => t.id).sort()).toEqual(
      [minted, sent].sort(),
    );
    expect(read('profile.json')).toMatchObject({ username: ada.username, email: ada.email });
    expect(Object.keys(files)).toEqual(
      expect.arrayContaining([
        'likes.json',
        'follows.json',
        'events.json',
        'notifications.json',
        'sessions.json',
        'security-log.json',
      ]),
    );
    const everything = Object.values(files)
      .map((bytes) => strFromU8(bytes))
      .join('\n');
    expect(everything).not.toContain(bob.email);
    expect(everything).not.toContain(admin.email);
    expect(everything).not.toContain('password_hash');
    const log = read('security-log.json') as Array<{ type: string }>;
    expect(log.map((e) => e.type)).toContain('export_requested');
  });
});

describe('account deletion', () => {
  it('refuses a wrong password (403) and money in the wallet (409)', async () => {
    const ada = await createUser(h.ctx.db);
    expect((await h.call('DELETE', '/me', { password: 'not it' }, bearer(ada))).status).toBe(403);
    await settledTransfer(null, ada, 500);
    const res = await h.call('DELETE', '/me', { password: TEST_PASSWORD }, bearer(ada));
    expect(res.status).toBe(409);
    expect(await body(res)).toMatchObject({ error: { code: 'conflict', details: { reason: 'wallet' } } });
  });

  it('refuses while an upcoming event it organises has participants (409)', async () => {
    const ada = await createUser(h.ctx.db);
    const bob = await createUser(h.ctx.db);
    const start = new Date(Date.now() + 7 * 86_400_000);
    const created = await h.call(
      'POST',
      '/events',
      {
        title: 'Picnic',
        description: 'Bring food',
        startsAt: start.toISOString(),
        endsAt: new Date(start.getTime() + 3_600_000).toISOString(),
        capacity: 5,
      },
      bearer(ada),
    );
    expect(created.status).toBe(201);
    const event = await body<{ id: string }>(created);
    const joined = await h.call('PUT', `/events/${event.id}/participation`, undefined, bearer(bob));
    expect(joined.status, await joined.clone().text()).toBe(200);
    const res = await h.call('DELETE', '/me', { password: TEST_PASSWORD }, bearer(ada));
    expect(await body(res)).toMatchObject({ error: { details: { reason: 'events' } } });
  });

  it('under concurrent activity leaves only the husk, promotes the waitlist, reserves the name and keeps the ledger whole', async () => {
    const ada = await createUser(h.ctx.db);
    const bob = await createUser(h.ctx.db);
    const carol = await createUser(h.ctx.db);
    // Money in and out again: transfers the husk must keep whole.
    await settledTransfer(null, ada, 400);
    await settledTransfer(ada, bob, 400);
    const bobPost = await post(bob, 'like me');
    await post(ada, 'mine');
    await h.call('POST', `/users/${bob.username}/follow`, undefined, bearer(ada));
    await h.call('POST', `/users/${ada.username}/follow`, undefined, bearer(carol));
    // Bob's event, one seat: ada goes, carol waits.
    const start = new Date(Date.now() + 7 * 86_400_000);
    const created = await h.call(
      'POST',
      '/events',
      {
        title: 'Dinner',
        description: 'One seat',
        startsAt: start.toISOString(),
        endsAt: new Date(start.getTime() + 3_600_000).toISOString(),
        capacity: 1,
      },
      bearer(bob),
    );
    const event = await body<{ id: string }>(created);
    expect(
      await body(await h.call('PUT', `/events/${event.id}/participation`, undefined, bearer(ada))),
    ).toMatchObject({ status: 'going' });
    expect(
      await body(await h.call('PUT', `/events/${event.id}/participation`, undefined, bearer(carol))),
    ).toMatchObject({ status: 'waitlisted' });

    // Ada keeps posting, liking and commenting from another session while she deletes her account.
    let stop = false;
    const busy = (async () => {
      const statuses: number[] = [];
      for (let i = 0; i < 40 && !stop; i++) {
        statuses.push((await h.call('POST', '/posts', { body: `busy ${i}` }, bearer(ada))).status);
        statuses.push((await h.call('POST', `/posts/${bobPost}/like`, undefined, bearer(ada))).status);
        statuses.push(
          (await h.call('POST', `/posts/${bobPost}/comments`, { body: `c ${i}` }, bearer(ada))).status,
        );
      }
      return statuses;
    })();
    await waitFor(
      async () =>
        (await h.ctx.db.selectFrom('posts').select('id').where('author_id', '=', ada.id).execute()).length >
        3,
      { what: 'some concurrent posts' },
    );
    // Carol's follow and the money received: unread, counted (migrations/0022) until the purge.
    const unreadCounter = async () =>
      (
        await h.ctx.db
          .selectFrom('notification_counters')
          .select('unread')
          .where('user_id', '=', ada.id)
          .executeTakeFirst()
      )?.unread ?? 0;
    expect(await unreadCounter()).toBeGreaterThan(0);
    const res = await h.call('DELETE', '/me', { password: TEST_PASSWORD }, bearer(ada));
    expect(res.status).toBe(202);
    stop = true;
    const statuses = await busy;
    expect(statuses.every((s) => s < 500)).toBe(true);
    expect((await h.call('GET', '/me', undefined, bearer(ada))).status).toBe(401);

    const db = h.ctx.db;
    const left = async () => {
      const counts = await Promise.all([
        db.selectFrom('posts').select('id').where('author_id', '=', ada.id).execute(),
        db.selectFrom('comments').select('id').where('author_id', '=', ada.id).execute(),
        db.selectFrom('likes').select('post_id').where('user_id', '=', ada.id).execute(),
        db
          .selectFrom('follows')
          .select('follower_id')
          .where((eb) => eb.or([eb('follower_id', '=', ada.id), eb('followee_id', '=', ada.id)]))
          .execute(),
        db.selectFrom('event_participants').select('event_id').where('user_id', '=', ada.id).execute(),
        db.selectFrom('notifications').select('id').where('user_id', '=', ada.id).execute(),
        db.selectFrom('sessions').select('id').where('user_id', '=', ada.id).execute(),
        db.selectFrom('media').select('id').where('owner_id', '=', ada.id).execute(),
        db.selectFrom('security_events').select('id').where('user_id', '=', ada.id).execute(),
        db.selectFrom('one_time_codes').select('id').where('user_id', '=', ada.id).execute(),
      ]);
      return counts.map((rows) => rows.length);
    };
    // The purge runs in the account worker, in batches; on a loaded machine it may take a while, and a
    // failure says what was left and what the worker logged about it.
    await waitFor(async () => (await left()).every((n) => n === 0), {
      what: 'the purge',
      timeoutMs: 60_000,
    }).catch(async (error: Error) => {
      const failures = h.workers.logs.filter((l) => Number(l.level) >= 40).map((l) => JSON.stringify(l));
      throw new Error(
        `${error.message}; rows left ${JSON.stringify(await left())}; worker: ${failures.join('\n')}`,
      );
    });

    // The unread ones left the counter in the statements that deleted them.
    expect(await unreadCounter()).toBe(0);
    const husk = await db.selectFrom('users').selectAll().where('id', '=', ada.id).executeTakeFirstOrThrow();
    expect(husk.username).toMatch(/^deleted-\d+$/);
    expect(husk.email).toMatch(/@deleted\.invalid$/);
    expect(husk.display_name).toBe('Deleted user');
    expect(husk.password_hash).toBeNull();
    expect(husk.deleted_at).not.toBeNull();
    // The husk cannot be paid: money sent there could never be spent nor returned.
    for (const [path, payload, who] of [
      ['/transfers', { to: husk.username, amountCents: 100 }, bob],
      ['/admin/mint', { username: husk.username, amountCents: 100 }, admin],
    ] as const) {
      const refused = await h.call('POST', path, payload, {
        ...bearer(who),
        'idempotency-key': randomUUID(),
      });
      expect(refused.status).toBe(404);
      expect((await body<{ error: { code: string } }>(refused)).error.code).toBe('not_found');
    }
    // The like counter followed the likes.
    const counted = await db
      .selectFrom('posts')
      .select(['like_count', 'comment_count'])
      .where('id', '=', bobPost)
      .executeTakeFirstOrThrow();
    expect(counted).toEqual({ like_count: 0, comment_count: 0 });
    // Carol was waiting: she has the seat.
    const carolNow = await db
      .selectFrom('event_participants')
      .select('status')
      .where('event_id', '=', event.id)
      .where('user_id', '=', carol.id)
      .executeTakeFirstOrThrow();
    expect(carolNow.status).toBe('going');
    // The name is never given out again.
    await expect(createUser(db, { username: ada.username })).rejects.toMatchObject({ code: '23505' });
    await checkLedger(db);
    const transfers = await db
      .selectFrom('transfers')
      .select('id')
      .where((eb) => eb.or([eb('from_user_id', '=', ada.id), eb('to_user_id', '=', ada.id)]))
      .execute();
    expect(transfers).toHaveLength(2);
  });
});
