// The rules of posts: who may write, edit and delete them, the feeds, and their pushes.
import type { Page, Post } from '@plaza/client/protocol';
import { type Actor, hasRole } from '../auth/actor.ts';
import type { Trx } from '../db/database.ts';
import type { Deps } from '../deps.ts';
import { forbidden, notFound, unauthenticated, validationFailed } from '../lib/errors.ts';
import { newId } from '../lib/ids.ts';
import { type PageQuery, toPage } from '../lib/pagination.ts';
import { decodeTimeCursor, timeKeyOf } from '../lib/time-cursor.ts';
import { avatarUrlOf, type MediaUrls, mediaListOf } from '../media/media.objects.ts';
import { claimMedia } from '../media/media.repository.ts';
import { collectSoon, refuseUnclaimable } from '../media/media.service.ts';
import { mediaStoreOf } from '../media/store.factory.ts';
import { recordAudit } from '../moderation/audit.ts';
import { appendEvent } from '../realtime/event-log.ts';
import { hideIfBlockedBy } from '../safety/safety.guards.ts';
import { userIdByUsername } from '../social/social.service.ts';
import type { FirstPageCache } from './first-page-cache.ts';
import { appendPostDeleted, appendPostUpdated, postCreatedEvent } from './posts.events.ts';
import { feedWriteLimits } from './posts.limits.ts';
import {
  type AvatarUrlParts,
  deletePost as deletePostRow,
  findPostView,
  insertPost,
  insertPostWithEvent,
  listPostViews,
  lockPost,
  type PostScope,
  type PostView,
  redactPostEvents,
  updatePostBody,
} from './posts.repository.ts';
import type { CreatePostInput, UpdatePostInput } from './posts.schema.ts';

export const postViewToPost = (row: PostView, urls: MediaUrls): Post => ({
  id: row.id,
  author: {
    id: row.author_id,
    username: row.username,
    displayName: row.display_name,
    avatarUrl: avatarUrlOf(row.avatar_key, urls),
  },
  body: row.body,
  media: mediaListOf(row.media, urls),
  createdAt: row.created_at.toISOString(),
  editedAt: row.edited_at ? row.edited_at.toISOString() : null,
  likeCount: row.like_count,
  commentCount: row.comment_count,
  likedByMe: row.liked_by_me,
});

export function requireActor(actor: Actor | null): Actor {
  if (!actor) throw unauthenticated();
  return actor;
}

type ReadDeps = Pick<Deps, 'db' | 'config'>;

export async function getPost(deps: ReadDeps, actor: Actor | null, id: string): Promise<Post> {
  const row = await findPostView(deps.db, id, actor?.userId ?? null);
  if (!row) throw notFound('Post');
  await hideIfBlockedBy(deps.db, actor, row.author_id, 'Post');
  return postViewToPost(row, mediaStoreOf(deps.config));
}

async function listPosts(deps: ReadDeps, actor: Actor | null, scope: PostScope, query: PageQuery) {
  const after = decodeTimeCursor(query.cursor);
  const rows = await listPostViews(deps.db, scope, actor?.userId ?? null, after, query.limit);
  const urls = mediaStoreOf(deps.config);
  return toPage(
    rows,
    query.limit,
    (row) => postViewToPost(row, urls),
    (r) => timeKeyOf(r.created_at, r.id),
  );
}

/** The global feed, newest first. */
export const listGlobalFeed = (deps: ReadDeps, actor: Actor | null, query: PageQuery) =>
  listPosts(deps, actor, { kind: 'all' }, query);

/**
 * The global feed for a request whose snapshot starts at `seq`: an anonymous reader's first page comes
 * from `firstPages` (see first-page-cache.ts for why it is never stale past a push); everything else
 * is read afresh (a signed-in reader's page says which posts they like).
 */
export function readGlobalFeed(
  deps: ReadDeps,
  firstPages: FirstPageCache<Page<Post>>,
  actor: Actor | null,
  query: PageQuery,
  seq: number | undefined,
): Promise<Page<Post>> {
  if (actor || query.cursor !== undefined || seq === undefined) return listGlobalFeed(deps, actor, query);
  return firstPages.get(query.limit, seq, () => listGlobalFeed(deps, null, query));
}

/** The home feed: the actor's own posts and those of the users they follow. */
export async function listHomeFeed(
  deps: ReadDeps,
  actor: Actor | null,
  query: PageQuery,
): Promise<Page<Post>> {
  const me = requireActor(actor);
  return listPosts(deps, me, { kind: 'home', userId: me.userId }, query);
}

export async function listUserPosts(
  deps: ReadDeps,
  actor: Actor | null,
  username: string,
  query: PageQuery,
): Promise<Page<Post>> {
  const authorId = await userIdByUsername(deps, username);
  await hideIfBlockedBy(deps.db, actor, authorId, 'User');
  return listPosts(deps, actor, { kind: 'author', authorId }, query);
}

export async function createPost(deps: Deps, actor: Actor | null, input: CreatePostInput): Promise<Post> {
  const me = requireActor(actor);
  await feedWriteLimits(deps).posts.consume(me.userId);
  // created_at from the application clock (millisecond precision), so cursors carry it exactly.
  const createdAt = new Date();
  const urls = mediaStoreOf(deps.config);
  const post: Post = {
    id: newId(),
    // The display name and avatar are filled in by the insert, which reads them with the author's row.
    author: { id: me.userId, username: me.username, displayName: '', avatarUrl: null },
    body: input.body,
    media: [],
    createdAt: createdAt.toISOString(),
    editedAt: null,
    likeCount: 0,
    commentCount: 0,
    likedByMe: false,
  };
  const row = { id: post.id, authorId: me.userId, body: input.body, createdAt };
  const mediaIds = input.mediaIds ?? [];
  if (mediaIds.length > 0) return createPostWithMedia(deps, me, row, mediaIds);
  const inserted = await insertPostWithEvent(deps.db, row, postCreatedEvent(post), avatarUrlParts(urls));
  if (!inserted) throw unauthenticated();
  return {
    ...post,
    author: {
      ...post.author,
      displayName: inserted.displayName,
      avatarUrl: avatarUrlOf(inserted.avatarKey, urls),
    },
  };
}

/** The avatar URL around a user's avatar_key, for SQL that writes it into an event. */
function avatarUrlParts(urls: MediaUrls): AvatarUrlParts {
  const marker = '\u0000';
  const [prefix = '', suffix = ''] = (avatarUrlOf(marker, urls) ?? '').split(marker);
  return { prefix, suffix };
}

/**
 * A post with photos: the post, its media claimed (the caller's own, ready, unattached — all of them or
 * 409) and its push, in one transaction.
 */
async function createPostWithMedia(
  deps: Deps,
  me: Actor,
  row: { id: string; authorId: string; body: string; createdAt: Date },
  mediaIds: readonly string[],
): Promise<Post> {
  return deps.db.transaction().execute(async (trx) => {
    if (!(await insertPost(trx, row))) throw unauthenticated();
    const claimed = await claimMedia(trx, { ids: mediaIds, ownerId: me.userId, as: 'post', postId: row.id });
    if (claimed.length !== mediaIds.length) await refuseUnclaimable(trx, mediaIds, me.userId);
    const view = await findPostView(trx, row.id, null);
    if (!view) throw notFound('Post');
    const post = postViewToPost(view, mediaStoreOf(deps.config));
    await appendEvent(trx, postCreatedEvent(post));
    return post;
  });
}

/** Only the author edits a post (moderators delete, they do not rewrite). */
export async function updatePost(deps: Deps, actor: Actor | null, input: UpdatePostInput): Promise<Post> {
  const me = requireActor(actor);
  await feedWriteLimits(deps).posts.consume(me.userId);
  return deps.db.transaction().execute(async (trx) => {
    const locked = await lockPost(trx, input.id);
    if (!locked) throw notFound('Post');
    if (locked.author_id !== me.userId) throw forbidden('Only the author can edit a post');
    if (input.body.length === 0 && !locked.has_media) {
      throw validationFailed([
        { path: ['body'], message: 'must not be empty (a post without photos needs words)' },
      ]);
    }
    await updatePostBody(trx, input.id, input.body);
    const row = await findPostView(trx, input.id, me.userId);
    if (!row) throw notFound('Post');
    const post = postViewToPost(row, mediaStoreOf(deps.config));
    await appendPostUpdated(trx, post);
    return post;
  });
}

/** The author or a moderator deletes; comments and likes go with the post. */
export async function deletePost(deps: Deps, actor: Actor | null, input: { id: string }): Promise<null> {
  const me = requireActor(actor);
  const hadMedia = await deps.db.transaction().execute(async (trx) => {
    const locked = await lockPost(trx, input.id);
    if (!locked) throw notFound('Post');
    if (locked.author_id !== me.userId && !hasRole(me, 'moderator')) {
      throw forbidden('Only the author or a moderator can delete a post');
    }
    await removeLockedPost(trx, locked);
    if (locked.author_id !== me.userId) {
      await recordAudit(trx, {
        actorId: me.userId,
        action: 'remove_post',
        target: { type: 'post', id: locked.id },
      });
    }
    return locked.has_media;
  });
  if (hadMedia) await collectSoon(deps);
  return null;
}

/**
 * Deletes a post locked by `lockPost` in the caller's transaction (a report resolved with `remove_content`
 * runs it in its own): its words leave the event log, its media rows go (the caller runs `collectSoon` after
 * commit when it had any), and `post:deleted` is pushed.
 */
export async function removeLockedPost(
  trx: Trx,
  locked: { id: string; author_id: string; has_media: boolean },
): Promise<void> {
  // The row's id, not the caller's spelling of it: rooms are named by the canonical (lower-case) id.
  await redactPostEvents(trx, locked.id);
  // Its media rows go with it (on delete cascade); the trigger queues their files.
  await deletePostRow(trx, locked.id);
  await appendPostDeleted(trx, locked.author_id, locked.id);
}
