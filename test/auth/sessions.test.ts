import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createUser } from '../helpers/factories.ts';
import { type AuthHarness, errorCode, json, PUBLIC_URL, startAuthHarness } from './auth-harness.ts';
import { bearerOf, PASSWORD, verifiedUser } from './users.ts';

let h: AuthHarness;

beforeAll(async () => {
  h = await startAuthHarness();
});

afterAll(async () => {
  await h?.close();
});

const login = async (name: string, userAgent: string) => {
  const res = await h.call(
    'POST',
    '/auth/login',
    { login: name, password: PASSWORD, captcha: await h.captcha() },
    { 'user-agent': userAgent },
  );
  expect(res.status).toBe(200);
  return json<{ token: string }>(res);
};
const sessionIdOf = (token: string) => token.split('.')[0]!;

interface SessionItem {
  id: string;
  createdAt: string;
  lastSeenAt: string;
  userAgent: string;
  current: boolean;
}

describe('sessions', () => {
  it('lists only your own sessions, flagging the current one', async () => {
    const user = await verifiedUser(h);
    const phone = await login(user.username, 'Phone/1.0');
    const stranger = await verifiedUser(h);

    const res = await h.call('GET', '/auth/sessions', undefined, bearerOf(phone));
    expect(res.status).toBe(200);
    const { items } = await json<{ items: SessionItem[] }>(res);
    expect(items.map((s) => s.id).sort()).toEqual([sessionIdOf(user.token), sessionIdOf(phone.token)].sort());
    expect(items.find((s) => s.current)?.id).toBe(sessionIdOf(phone.token));
    expect(items.find((s) => s.current)?.userAgent).toBe('Phone/1.0');
    expect(
      items.every((s) => !Number.isNaN(Date.parse(s.createdAt)) && !Number.isNaN(Date.parse(s.lastSeenAt))),
    ).toBe(true);
    expect(items.some((s) => s.id === sessionIdOf(stranger.token))).toBe(false);
  });

  it('revokes one of your sessions: its token dies at once, the others live', async () => {
    const user = await verifiedUser(h);
    const laptop = await login(user.username, 'Laptop');
    const res = await h.call(
      'DELETE',
      `/auth/sessions/${sessionIdOf(laptop.token)}`,
      undefined,
      bearerOf(user),
    );
    expect(res.status).toBe(204);
    expect((await h.call('GET', '/me', undefined, bearerOf(laptop))).status).toBe(401);
    expect((await h.call('GET', '/me', undefined, bearerOf(user))).status).toBe(200);
    const row = await h.ctx.db
      .selectFrom('sessions')
      .select('id')
      .where('id', '=', sessionIdOf(laptop.token))
      .executeTakeFirst();
    expect(row).toBeUndefined();
    const events = await h.ctx.db
      .selectFrom('event_log')
      .select(['rooms', 'data'])
      .where('type', '=', 'session:revoked')
      .execute();
    expect(events).toContainEqual({
      rooms: [`session:${sessionIdOf(laptop.token)}`],
      data: { sessionId: sessionIdOf(laptop.token) },
    });
  });

  it("answers 404 for another user's session and leaves it alone", async () => {
    const user = await verifiedUser(h);
    const stranger = await verifiedUser(h);
    const res = await h.call(
      'DELETE',
      `/auth/sessions/${sessionIdOf(stranger.token)}`,
      undefined,
      bearerOf(user),
    );
    expect(res.status).toBe(404);
    expect((await h.call('GET', '/me', undefined, bearerOf(stranger))).status).toBe(200);
  });

  it('needs a session to list sessions', async () => {
    expect(await errorCode(await h.call('GET', '/auth/sessions'))).toBe('unauthenticated');
    expect(
      (await h.call('GET', '/auth/sessions', undefined, { authorization: 'Bearer nope.nope' })).status,
    ).toBe(401);
  });

  it('logs out: 204, the session revoked and the cookie cleared', async () => {
    const user = await verifiedUser(h);
    const res = await h.call('POST', '/auth/logout', undefined, bearerOf(user));
    expect(res.status).toBe(204);
    expect(res.headers.get('set-cookie')).toMatch(/plaza_session=;/);
    expect((await h.call('GET', '/me', undefined, bearerOf(user))).status).toBe(401);
    expect(
      await h.ctx.db.selectFrom('sessions').select('id').where('user_id', '=', user.id).execute(),
    ).toHaveLength(0);
  });
});

describe('CSRF', () => {
  it('refuses a cookie POST from another origin while a bearer one passes', async () => {
    const user = await verifiedUser(h);
    const cookie = { cookie: `plaza_session=${user.token}` };
    const evil = { origin: 'https://evil.example' };

    const crossCookie = await h.call('POST', '/auth/logout', undefined, { ...cookie, ...evil });
    expect(crossCookie.status).toBe(403);
    expect(await errorCode(crossCookie)).toBe('forbidden');
    expect((await h.call('GET', '/me', undefined, bearerOf(user))).status).toBe(200);

    // Safe methods with the cookie work from anywhere (SameSite=Lax decides what browsers send).
    expect((await h.call('GET', '/me', undefined, { ...cookie, ...evil })).status).toBe(200);

    const other = await login(user.username, 'Other');
    const crossBearer = await h.call('POST', '/auth/logout', undefined, { ...bearerOf(other), ...evil });
    expect(crossBearer.status).toBe(204);

    const sameOrigin = await h.call('POST', '/auth/logout', undefined, { ...cookie, origin: PUBLIC_URL });
    expect(sameOrigin.status).toBe(204);
    expect(
      await h.ctx.db.selectFrom('sessions').select('id').where('user_id', '=', user.id).execute(),
    ).toHaveLength(0);
  });
});

describe('GET /me', () => {
  it('answers Me with follower counts from the follows table', async () => {
    const user = await verifiedUser(h);
    const fans = await Promise.all([createUser(h.ctx.db), createUser(h.ctx.db)]);
    await h.ctx.db
      .insertInto('follows')
      .values([
        ...fans.map((fan) => ({ follower_id: fan.id, followee_id: user.id })),
        { follower_id: user.id, followee_id: fans[0]!.id },
      ])
      .execute();
    const res = await h.call('GET', '/me', undefined, bearerOf(user));
    expect(res.status).toBe(200);
    expect(await json(res)).toEqual({
      id: user.id,
      username: user.username,
      displayName: user.username,
      avatarUrl: null,
      avatar: null,
      bio: '',
      createdAt: expect.any(String),
      followerCount: 2,
      followingCount: 1,
      followedByMe: false,
      email: user.email,
      emailVerified: true,
      role: 'member',
    });
  });
});

describe('admin', () => {
  it('lets an admin set a role and answers the Me-shaped user', async () => {
    const admin = await createUser(h.ctx.db, { role: 'admin' });
    const target = await createUser(h.ctx.db);
    const res = await h.call(
      'PUT',
      `/admin/users/${target.username.toUpperCase()}/role`,
      { role: 'moderator' },
      bearer(admin),
    );
    expect(res.status).toBe(200);
    expect(await json(res)).toMatchObject({
      id: target.id,
      username: target.username,
      role: 'moderator',
      email: target.email,
    });
    const row = await h.ctx.db
      .selectFrom('users')
      .select('role')
      .where('id', '=', target.id)
      .executeTakeFirstOrThrow();
    expect(row.role).toBe('moderator');
    // The new role applies to the user's existing session at once.
    const me = await json(await h.call('GET', '/me', undefined, bearer(target)));
    expect(me.role).toBe('moderator');
  });

  it('refuses role changes to non-admins, anonymous callers, bad roles and unknown users', async () => {
    const moderator = await createUser(h.ctx.db, { role: 'moderator' });
    const admin = await createUser(h.ctx.db, { role: 'admin' });
    const target = await createUser(h.ctx.db);
    const path = `/admin/users/${target.username}/role`;
    expect((await h.call('PUT', path, { role: 'admin' }, bearer(moderator))).status).toBe(403);
    expect((await h.call('PUT', path, { role: 'admin' })).status).toBe(401);
    expect(await errorCode(await h.call('PUT', path, { role: 'king' }, bearer(admin)))).toBe(
      'validation_failed',
    );
    expect(
      (await h.call('PUT', '/admin/users/nobody_here/role', { role: 'admin' }, bearer(admin))).status,
    ).toBe(404);
    const row = await h.ctx.db
      .selectFrom('users')
      .select('role')
      .where('id', '=', target.id)
      .executeTakeFirstOrThrow();
    expect(row.role).toBe('member');
  });

  it('lets a moderator suspend a member: suspended_at set, sessions revoked, a new login held to export and delete', async () => {
    const moderator = await createUser(h.ctx.db, { role: 'moderator' });
    const target = await verifiedUser(h);
    const res = await h.call('POST', `/admin/users/${target.username}/suspend`, undefined, bearer(moderator));
    expect(res.status).toBe(204);
    const row = await h.ctx.db
      .selectFrom('users')
      .select('suspended_at')
      .where('id', '=', target.id)
      .executeTakeFirstOrThrow();
    expect(row.suspended_at).not.toBeNull();
    expect(
      await h.ctx.db.selectFrom('sessions').select('id').where('user_id', '=', target.id).execute(),
    ).toHaveLength(0);
    expect((await h.call('GET', '/me', undefined, bearerOf(target))).status).toBe(401);
    const attempt = await h.call('POST', '/auth/login', {
      login: target.username,
      password: PASSWORD,
      captcha: await h.captcha(),
    });
    expect(attempt.status).toBe(200);
    const session = await json<{ token: string }>(attempt);
    expect((await h.call('GET', '/me', undefined, bearerOf(session))).status).toBe(200);
    expect((await h.call('POST', '/me/export', undefined, bearerOf(session))).status).toBe(202);
    const refused = await h.call('GET', '/auth/sessions', undefined, bearerOf(session));
    expect(refused.status).toBe(403);
    expect(await errorCode(refused)).toBe('forbidden');
    // Lifted: the same session is whole again at once (the unsuspension forgets the cached actor).
    const lifted = await h.call(
      'POST',
      `/admin/users/${target.username}/unsuspend`,
      undefined,
      bearer(moderator),
    );
    expect(lifted.status).toBe(204);
    expect((await h.call('GET', '/auth/sessions', undefined, bearerOf(session))).status).toBe(200);
  });

  it('refuses suspension to members and against peers or higher roles', async () => {
    const member = await createUser(h.ctx.db);
    const moderator = await createUser(h.ctx.db, { role: 'moderator' });
    const admin = await createUser(h.ctx.db, { role: 'admin' });
    expect(
      (await h.call('POST', `/admin/users/${moderator.username}/suspend`, undefined, bearer(member))).status,
    ).toBe(403);
    expect(
      (await h.call('POST', `/admin/users/${admin.username}/suspend`, undefined, bearer(moderator))).status,
    ).toBe(403);
    expect(
      (await h.call('POST', `/admin/users/${moderator.username}/suspend`, undefined, bearer(moderator)))
        .status,
    ).toBe(403);
    expect((await h.call('POST', `/admin/users/${member.username}/suspend`)).status).toBe(401);
    const rows = await h.ctx.db
      .selectFrom('users')
      .select('suspended_at')
      .where('id', 'in', [member.id, moderator.id, admin.id])
      .execute();
    expect(rows.every((r) => r.suspended_at === null)).toBe(true);
    // An admin outranks a moderator.
    expect(
      (await h.call('POST', `/admin/users/${moderator.username}/suspend`, undefined, bearer(admin))).status,
    ).toBe(204);
  });
});
