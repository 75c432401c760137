// Avatars (API.md "Media": `PUT /me/avatar`, `DELETE /me/avatar`): only one's own ready, unattached media;
// one avatar per user under any concurrency; the replaced or removed media deleted (its files queued); and
// every UserRef and User of the user carrying the URLs. Media rows are inserted `ready` directly (the worker
// that makes them is tested in media-worker.test.ts).
import type { Comment, Me, Page, Transfer, User, UserRef } from '@plaza/client/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MediaStatus } from '../../server/db/schema.ts';
import { newId } from '../../server/lib/ids.ts';
import { newMediaToken, variantKey } from '../../server/media/media.store.ts';
import { mediaStoreOf } from '../../server/media/store.factory.ts';
import { requestTransfer } from '../../server/wallet/wallet.service.ts';
import type { ErrorReply, Harness } from '../feed/feed-harness.ts';
import { startHarness } from '../feed/feed-harness.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { createUser, type TestUser } from '../helpers/factories.ts';

let ctx: TestContext;
let h: Harness;

beforeAll(async () => {
  ctx = await createTestContext();
  h = startHarness(ctx);
});

afterAll(async () => {
  await h.close();
  await ctx.close();
});

interface StoredMedia {
  id: string;
  key: string;
}

const variant = (key: string, width: number, height: number) => ({ key, width, height });

/** A media row as the worker leaves it (`ready`, variants written), or in another state. */
async function insertMedia(
  owner: TestUser,
  options: { status?: MediaStatus; attachedAs?: 'cover' } = {},
): Promise<StoredMedia> {
  const status = options.status ?? 'ready';
  const token = newMediaToken();
  const ready = status === 'ready';
  await ctx.db
    .insertInto('media')
    .values({
      id: newId(),
      owner_id: owner.id,
      status,
      content_type: 'image/jpeg',
      bytes: 12_345,
      key: token,
      width: ready ? 1200 : null,
      height: ready ? 800 : null,
      variants: ready
        ? JSON.stringify({
            display: variant(variantKey(token, 'display'), 1200, 800),
            preview: variant(variantKey(token, 'preview'), 640, 427),
            avatarLarge: variant(variantKey(token, 'avatar-400'), 400, 400),
            avatarSmall: variant(variantKey(token, 'avatar-96'), 96, 96),
            cover: variant(variantKey(token, 'cover'), 1600, 900),
          })
        : null,
      ready_at: ready ? new Date() : null,
      attached_as: options.attachedAs ?? null,
      attached_at: options.attachedAs ? new Date() : null,
    })
    .execute();
  const row = await ctx.db
    .selectFrom('media')
    .select(['id', 'key'])
    .where('key', '=', token)
    .executeTakeFirstOrThrow();
  return row;
}

/** The URLs the server must answer for a media made an avatar. */
const urlsOf = (media: StoredMedia) => {
  const store = mediaStoreOf(h.deps.config);
  return {
    small: store.publicUrl(variantKey(media.key, 'avatar-96')),
    large: store.publicUrl(variantKey(media.key, 'avatar-400')),
  };
};

const setAvatar = (user: TestUser, mediaId: string) =>
  h.json<Me & ErrorReply>('PUT', '/me/avatar', user, { mediaId });

const avatarRow = (user: TestUser) =>
  ctx.db
    .selectFrom('users')
    .select(['avatar_media_id', 'avatar_key'])
    .where('id', '=', user.id)
    .executeTakeFirstOrThrow();

/** The user's media attached as an avatar: never more than one. */
const avatarMediaOf = (user: TestUser) =>
  ctx.db
    .selectFrom('media')
    .select(['id', 'key'])
    .where('owner_id', '=', user.id)
    .where('attached_as', '=', 'avatar')
    .execute();

const mediaExists = async (id: string) =>
  (await ctx.db.selectFrom('media').select('id').where('id', '=', id).executeTakeFirst()) !== undefined;

const inGarbage = async (key: string) =>
  (await ctx.db.selectFrom('media_garbage').select('key').where('key', '=', key).executeTakeFirst()) !==
  undefined;

describe('PUT /me/avatar', () => {
  it('makes a ready media the avatar: Me, the profile and the user row carry it', async () => {
    const ana = await createUser(ctx.db);
    const media = await insertMedia(ana);
    const urls = urlsOf(media);

    const [status, me] = await setAvatar(ana, media.id.toUpperCase());
    expect(status).toBe(200);
    expect(me).toMatchObject({ id: ana.id, avatar: urls, avatarUrl: urls.small });
    expect(urls.small).toMatch(/\/avatar-96\.webp$/);
    expect(urls.large).toMatch(/\/avatar-400\.webp$/);

    const [, again] = await h.json<Me>('GET', '/me', ana);
    expect(again).toEqual(me);
    const [, profile] = await h.json<User>('GET', `/users/${ana.username}`);
    expect(profile).toMatchObject({ avatar: urls, avatarUrl: urls.small });
    expect(await avatarRow(ana)).toEqual({ avatar_media_id: media.id, avatar_key: media.key });
    const attached = await ctx.db
      .selectFrom('media')
      .select(['attached_as', 'attached_at'])
      .where('id', '=', media.id)
      .executeTakeFirstOrThrow();
    expect(attached.attached_as).toBe('avatar');
    expect(attached.attached_at).toBeInstanceOf(Date);
  });

  it("puts the avatar on the user's UserRefs: comment authors, post authors, transfers, follow lists", async () => {
    const ana = await createUser(ctx.db);
    const ben = await createUser(ctx.db);
    const media = await insertMedia(ana);
    expect((await setAvatar(ana, media.id))[0]).toBe(200);
    const { small } = urlsOf(media);

    // A post by ana and a comment by ana under ben's post.
    const post = await h.writePost(ana, 'with a face');
    expect(post.author).toEqual({
      id: ana.id,
      username: ana.username,
      displayName: ana.displayName,
      avatarUrl: small,
    });
    const bensPost = await h.writePost(ben, 'faceless');
    expect(bensPost.author.avatarUrl).toBeNull();
    const [commented, comment] = await h.json<Comment>('POST', `/posts/${bensPost.id}/comments`, ana, {
      body: 'hello',
    });
    expect(commented).toBe(201);
    expect(comment.author.avatarUrl).toBe(small);
    const [, comments] = await h.json<Page<Comment>>('GET', `/posts/${bensPost.id}/comments`);
    expect(comments.items.map((c) => c.author.avatarUrl)).toEqual([small]);

    // Money to ana: the transfer's `to`, read back and as pushed.
    const { transfer } = await ctx.db
      .transaction()
      .execute((trx) =>
        requestTransfer(
          trx,
          { kind: 'mint', fromUserId: null, toUserId: ana.id, amountCents: 500 },
          mediaStoreOf(h.deps.config),
        ),
      );
    expect(transfer.to.avatarUrl).toBe(small);
    const [, read] = await h.json<Transfer>('GET', `/transfers/${transfer.id}`, ana);
    expect(read.to).toEqual({
      id: ana.id,
      username: ana.username,
      displayName: ana.displayName,
      avatarUrl: small,
    });
    const pushed = await ctx.db
      .selectFrom('event_log')
      .select('data')
      .where('type', '=', 'transfer:updated')
      .execute();
    const pushedTransfer = pushed
      .map((row) => (row.data as { transfer: Transfer }).transfer)
      .find((t) => t.id === transfer.id);
    expect(pushedTransfer?.to.avatarUrl).toBe(small);

    // ana joins ben's event: her participant entry and the `event:participation` push carry the avatar.
    const [created, event] = await h.json<{ id: string }>('POST', '/events', ben, {
      title: 'Portraits',
      description: 'Faces welcome.',
      startsAt: new Date(Date.now() + 2 * 3600_000).toISOString(),
      endsAt: new Date(Date.now() + 3 * 3600_000).toISOString(),
    });
    expect(created).toBe(201);
    expect((await h.call('PUT', `/events/${event.id}/participation`, ana)).status).toBe(200);
    const [, participants] = await h.json<Page<{ user: UserRef }>>(
      'GET',
      `/events/${event.id}/participants`,
      ana,
    );
    expect(participants.items.map((p) => p.user)).toEqual([
      { id: ana.id, username: ana.username, displayName: ana.displayName, avatarUrl: small },
    ]);
    const joined = await ctx.db
      .selectFrom('event_log')
      .select('data')
      .where('type', '=', 'event:participation')
      .where('topic', '=', `event:${event.id}`)
      .execute();
    expect(joined.map((row) => (row.data as { user: UserRef }).user.avatarUrl)).toEqual([small]);

    // ben follows ana: ana in ben's following, with her avatar; ben in her followers, without one.
    expect((await h.call('PUT', `/users/${ana.username}/follow`, ben)).status).toBe(200);
    const [, following] = await h.json<Page<User>>('GET', `/users/${ben.username}/following`);
    expect(following.items).toEqual([
      expect.objectContaining({ id: ana.id, avatarUrl: small, avatar: urlsOf(media) }),
    ]);
    const [, followers] = await h.json<Page<User>>('GET', `/users/${ana.username}/followers`);
    expect(followers.items).toEqual([expect.objectContaining({ id: ben.id, avatarUrl: null, avatar: null })]);
  });

  it("refuses someone else's media, an unready one and an attached one with 409 saying which; an unknown one with 404", async () => {
    const ana = await createUser(ctx.db);
    const ben = await createUser(ctx.db);
    const bens = await insertMedia(ben);
    const processing = await insertMedia(ana, { status: 'processing' });
    const failed = await insertMedia(ana, { status: 'failed' });
    const cover = await insertMedia(ana, { attachedAs: 'cover' });

    const refusals: Array<[StoredMedia, RegExp]> = [
      [bens, /not yours/],
      [processing, /not ready \(processing\)/],
      [failed, /not ready \(failed\)/],
      [cover, /already attached \(as cover\)/],
    ];
    for (const [media, message] of refusals) {
      const [status, reply] = await setAvatar(ana, media.id);
      expect(status).toBe(409);
      expect(reply.error.code).toBe('conflict');
      expect(reply.error.message).toMatch(message);
    }
    const [unknown, missing] = await setAvatar(ana, newId());
    expect(unknown).toBe(404);
    expect(missing.error.code).toBe('not_found');

    // Nothing changed: no avatar, ben's media still free, the cover still a cover.
    expect(await avatarRow(ana)).toEqual({ avatar_media_id: null, avatar_key: null });
    const states = await ctx.db
      .selectFrom('media')
      .select(['id', 'attached_as'])
      .where('id', 'in', [bens.id, processing.id, failed.id, cover.id])
      .execute();
    expect(new Map(states.map((s) => [s.id, s.attached_as]))).toEqual(
      new Map([
        [bens.id, null],
        [processing.id, null],
        [failed.id, null],
        [cover.id, 'cover'],
      ]),
    );
  });

  it('refuses anonymous callers, a non-uuid id and a missing one', async () => {
    const ana = await createUser(ctx.db);
    const media = await insertMedia(ana);
    expect((await h.call('PUT', '/me/avatar', null, { mediaId: media.id })).status).toBe(401);
    expect((await h.call('DELETE', '/me/avatar', null)).status).toBe(401);
    for (const body of [{ mediaId: 'not-a-uuid' }, {}]) {
      const [status, reply] = await h.json<ErrorReply>('PUT', '/me/avatar', ana, body);
      expect(status).toBe(400);
      expect(reply.error.code).toBe('validation_failed');
    }
    expect(await avatarRow(ana)).toEqual({ avatar_media_id: null, avatar_key: null });
  });

  it('lets one of two concurrent PUTs of the same media win; the other gets 409 and there is one avatar', async () => {
    for (let round = 0; round < 5; round++) {
      const ana = await createUser(ctx.db);
      const media = await insertMedia(ana);
      const replies = await Promise.all([setAvatar(ana, media.id), setAvatar(ana, media.id)]);
      expect(replies.map(([status]) => status).sort()).toEqual([200, 409]);
      const refused = replies.find(([status]) => status === 409)?.[1];
      expect(refused?.error.message).toMatch(/already attached \(as avatar\)/);
      expect(await avatarRow(ana)).toEqual({ avatar_media_id: media.id, avatar_key: media.key });
      expect(await avatarMediaOf(ana)).toEqual([media]);
    }
  });

  it('serialises concurrent PUTs of different media: both succeed in turn, one avatar remains, the other media is deleted', async () => {
    const ana = await createUser(ctx.db);
    const first = await insertMedia(ana);
    const second = await insertMedia(ana);
    const replies = await Promise.all([setAvatar(ana, first.id), setAvatar(ana, second.id)]);
    expect(replies.map(([status]) => status)).toEqual([200, 200]);
    const row = await avatarRow(ana);
    const kept = row.avatar_media_id === first.id ? first : second;
    const lost = kept === first ? second : first;
    expect(row).toEqual({ avatar_media_id: kept.id, avatar_key: kept.key });
    expect(await avatarMediaOf(ana)).toEqual([kept]);
    expect(await mediaExists(lost.id)).toBe(false);
    expect(await inGarbage(lost.key)).toBe(true);
  });

  it('replacing the avatar deletes the previous media and queues its files', async () => {
    const ana = await createUser(ctx.db);
    const old = await insertMedia(ana);
    const replacement = await insertMedia(ana);
    expect((await setAvatar(ana, old.id))[0]).toBe(200);
    expect(await inGarbage(old.key)).toBe(false);
    const maintenance = h.deps.queues.get('maintenance');
    await maintenance.remove('media-collect');

    const [status, me] = await setAvatar(ana, replacement.id);
    expect(status).toBe(200);
    expect(me.avatar).toEqual(urlsOf(replacement));
    expect(await mediaExists(old.id)).toBe(false);
    expect(await inGarbage(old.key)).toBe(true);
    expect(await inGarbage(replacement.key)).toBe(false);
    expect(await avatarRow(ana)).toEqual({ avatar_media_id: replacement.id, avatar_key: replacement.key });
    // The collector was woken after the commit (one deduplicated job).
    const job = await maintenance.getJob('media-collect');
    expect(job?.data).toEqual({ task: 'media-collect' });
  });
});

describe('DELETE /me/avatar', () => {
  it('removes the avatar and deletes its media; again, it changes nothing', async () => {
    const ana = await createUser(ctx.db);
    const media = await insertMedia(ana);
    expect((await setAvatar(ana, media.id))[0]).toBe(200);

    const [status, me] = await h.json<Me>('DELETE', '/me/avatar', ana);
    expect(status).toBe(200);
    expect(me).toMatchObject({ id: ana.id, avatar: null, avatarUrl: null });
    expect(await avatarRow(ana)).toEqual({ avatar_media_id: null, avatar_key: null });
    expect(await mediaExists(media.id)).toBe(false);
    expect(await inGarbage(media.key)).toBe(true);
    const [, profile] = await h.json<User>('GET', `/users/${ana.username}`);
    expect(profile).toMatchObject({ avatar: null, avatarUrl: null });

    const [againStatus, again] = await h.json<Me>('DELETE', '/me/avatar', ana);
    expect(againStatus).toBe(200);
    expect(again.avatar).toBeNull();
  });

  it('leaves the media of a deleted avatar unusable for a new one (404)', async () => {
    const ana = await createUser(ctx.db);
    const media = await insertMedia(ana);
    expect((await setAvatar(ana, media.id))[0]).toBe(200);
    expect((await h.call('DELETE', '/me/avatar', ana)).status).toBe(200);
    expect((await setAvatar(ana, media.id))[0]).toBe(404);
  });
});
