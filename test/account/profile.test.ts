// PATCH /me: display name (registration's rule) and bio (≤ 500 characters, plain text), seen on Me and User.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { bearer, createUser, type TestUser } from '../helpers/factories.ts';
import { createInProcessApp, type InProcessApp } from '../helpers/in-process-app.ts';

let ctx: TestContext;
let served: InProcessApp;

beforeAll(async () => {
  ctx = await createTestContext();
  served = createInProcessApp(ctx);
});

afterAll(async () => {
  await served?.close();
  await ctx?.close();
});

const patchMe = (user: TestUser | null, body: unknown) =>
  served.app.request('/api/v1/me', {
    method: 'PATCH',
    headers: { 'content-type': 'application/json', ...(user ? bearer(user) : {}) },
    body: JSON.stringify(body),
  });

const issuesOf = async (res: Response) =>
  ((await res.json()) as { error: { code: string; details: { issues: Array<{ path: string }> } } }).error;

describe('PATCH /me', () => {
  it('changes the display name and bio, seen on Me, on the profile and on GET /me', async () => {
    const user = await createUser(ctx.db);
    expect(
      ((await (await served.app.request('/api/v1/me', { headers: bearer(user) })).json()) as { bio: string })
        .bio,
    ).toBe('');

    const res = await patchMe(user, {
      displayName: '  Ada Lovelace ',
      bio: '  Counts.\nAnd writes notes.  ',
    });
    expect(res.status).toBe(200);
    const me = (await res.json()) as { displayName: string; bio: string; email: string };
    expect(me).toMatchObject({
      displayName: 'Ada Lovelace',
      bio: 'Counts.\nAnd writes notes.',
      email: user.email,
    });

    const profile = (await (await served.app.request(`/api/v1/users/${user.username}`)).json()) as Record<
      string,
      unknown
    >;
    expect(profile).toMatchObject({ displayName: 'Ada Lovelace', bio: 'Counts.\nAnd writes notes.' });
    expect(profile.email).toBeUndefined();
    const again = (await (await served.app.request('/api/v1/me', { headers: bearer(user) })).json()) as {
      bio: string;
    };
    expect(again.bio).toBe('Counts.\nAnd writes notes.');
  });

  it('leaves out what is not sent, and clears the bio with an empty string', async () => {
    const user = await createUser(ctx.db, { displayName: 'Grace' });
    expect((await patchMe(user, { bio: 'Compilers.' })).status).toBe(200);
    const renamed = (await (await patchMe(user, { displayName: 'Grace H.' })).json()) as Record<
      string,
      string
    >;
    expect(renamed).toMatchObject({ displayName: 'Grace H.', bio: 'Compilers.' });
    const cleared = (await (await patchMe(user, { bio: '' })).json()) as Record<string, string>;
    expect(cleared).toMatchObject({ displayName: 'Grace H.', bio: '' });
    const unchanged = (await (await patchMe(user, {})).json()) as Record<string, string>;
    expect(unchanged).toMatchObject({ displayName: 'Grace H.', bio: '' });
  });

  it('takes a bio of exactly 500 characters and refuses 501, and a display name as registration does', async () => {
    const user = await createUser(ctx.db, { displayName: 'Before' });
    const full = 'é'.repeat(500);
    expect(((await (await patchMe(user, { bio: full })).json()) as { bio: string }).bio).toBe(full);

    const long = await patchMe(user, { bio: 'x'.repeat(501) });
    expect(long.status).toBe(400);
    expect(await issuesOf(long)).toMatchObject({
      code: 'validation_failed',
      details: { issues: [{ path: 'bio' }] },
    });
    for (const displayName of ['', '   ', 'n'.repeat(51)]) {
      const res = await patchMe(user, { displayName });
      expect(res.status).toBe(400);
      expect(await issuesOf(res)).toMatchObject({ details: { issues: [{ path: 'displayName' }] } });
    }
    expect((await patchMe(user, { displayName: 'n'.repeat(50) })).status).toBe(200);
    const row = await ctx.db
      .selectFrom('users')
      .select(['bio', 'display_name'])
      .where('id', '=', user.id)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ bio: full, display_name: 'n'.repeat(50) });
  });

  it('needs a session', async () => {
    const res = await patchMe(null, { bio: 'anonymous' });
    expect(res.status).toBe(401);
  });
});
