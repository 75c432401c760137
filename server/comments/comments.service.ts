// The rules of comments: who may write and delete them, the post's counter, pushes and notifications.
import type { Comment, Page } from '@plaza/client/protocol';
import { type Actor, hasRole } from '../auth/actor.ts';
import type { Trx } from '../db/database.ts';
import type { Deps } from '../deps.ts';
import { forbidden, notFound } from '../lib/errors.ts';
import { newId } from '../lib/ids.ts';
import { type PageQuery, toPage } from '../lib/pagination.ts';
import { decodeTimeCursor, timeKeyOf } from '../lib/time-cursor.ts';
import { avatarUrlOf, type MediaUrls } from '../media/media.objects.ts';
import { mediaStoreOf } from '../media/store.factory.ts';
import { recordAudit } from '../moderation/audit.ts';
import { notify } from '../notifications/notifications.service.ts';
import { appendPostStats } from '../posts/posts.events.ts';
import { feedWriteLimits } from '../posts/posts.limits.ts';
import { bumpCounts, findPostView, holdPost } from '../posts/posts.repository.ts';
import { postRoom } from '../posts/posts.rooms.ts';
import { requireActor } from '../posts/posts.service.ts';
import { appendEvent, redactEventsAbout } from '../realtime/event-log.ts';
import { hideIfBlockedBy, refuseIfBlockedBy } from '../safety/safety.guards.ts';
import {
  type CommentView,
  deleteComment as deleteCommentRow,
  findCommentView,
  insertComment,
  listCommentViews,
  lockCommentWithPost,
} from './comments.repository.ts';
import type { CreateCommentInput } from './comments.schema.ts';

export const commentViewToComment = (row: CommentView, urls: MediaUrls): Comment => ({
  id: row.id,
  postId: row.post_id,
  author: {
    id: row.author_id,
    username: row.username,
    displayName: row.display_name,
    avatarUrl: avatarUrlOf(row.avatar_key, urls),
  },
  body: row.body,
  createdAt: row.created_at.toISOString(),
});

const excerpt = (body: string) => (body.length > 80 ? `${body.slice(0, 79)}…` : body);

export async function listComments(
  deps: Pick<Deps, 'db' | 'config'>,
  postId: string,
  query: PageQuery,
  actor: Actor | null = null,
): Promise<Page<Comment>> {
  const after = decodeTimeCursor(query.cursor);
  const post = await findPostView(deps.db, postId, null);
  if (!post) throw notFound('Post');
  // The comments of a blocker's post are as hidden from the blocked as the post.
  await hideIfBlockedBy(deps.db, actor, post.author_id, 'Post');
  const rows = await listCommentViews(deps.db, postId, after, query.limit, actor?.userId ?? null);
  const urls = mediaStoreOf(deps.config);
  return toPage(
    rows,
    query.limit,
    (row) => commentViewToComment(row, urls),
    (r) => timeKeyOf(r.created_at, r.id),
  );
}

export async function createComment(
  deps: Deps,
  actor: Actor | null,
  input: CreateCommentInput,
): Promise<Comment> {
  const me = requireActor(actor);
  await feedWriteLimits(deps).comments.consume(me.userId);
  return deps.db.transaction().execute(async (trx) => {
    const post = await holdPost(trx, input.postId);
    if (!post) throw notFound('Post');
    await refuseIfBlockedBy(trx, me, post.author_id);
    const id = newId();
    await insertComment(trx, { id, postId: post.id, authorId: me.userId, body: input.body });
    const counts = await bumpCounts(trx, post.id, { comments: 1 });
    const row = await findCommentView(trx, id);
    if (!row) throw notFound('Comment');
    const comment = commentViewToComment(row, mediaStoreOf(deps.config));
    await appendEvent(trx, {
      type: 'comment:created',
      topic: postRoom(post.id),
      rooms: [postRoom(post.id)],
      data: { comment },
      subject: comment.id,
      actor: me.userId,
    });
    await appendPostStats(trx, post.author_id, post.id, counts);
    if (post.author_id !== me.userId) {
      await notify(trx, {
        userId: post.author_id,
        type: 'comment',
        title: `${me.username} commented on your post`,
        body: excerpt(comment.body),
        url: `/posts/${post.id}`,
        actorId: me.userId,
      });
    }
    return comment;
  });
}

/** Its author, the post's author or a moderator may delete a comment. */
export async function deleteComment(deps: Deps, actor: Actor | null, input: { id: string }): Promise<null> {
  const me = requireActor(actor);
  await deps.db.transaction().execute(async (trx) => {
    const found = await lockCommentWithPost(trx, input.id);
    if (!found) throw notFound('Comment');
    const allowed =
      found.author_id === me.userId || found.post_author_id === me.userId || hasRole(me, 'moderator');
    if (!allowed) throw forbidden('Only the comment or post author, or a moderator, can delete a comment');
    await removeLockedComment(trx, found);
    // Neither its author nor the post's: a moderator's removal of someone else's words.
    if (found.author_id !== me.userId && found.post_author_id !== me.userId) {
      await recordAudit(trx, {
        actorId: me.userId,
        action: 'remove_comment',
        target: { type: 'comment', id: found.id },
      });
    }
  });
  return null;
}

/**
 * Deletes a comment locked by `lockCommentWithPost` in the caller's transaction (a report resolved with
 * `remove_content` runs it in its own): its words leave the event log, the counter and pushes follow.
 */
export async function removeLockedComment(
  trx: Trx,
  found: { id: string; post_id: string; post_author_id: string },
): Promise<void> {
  // Its words leave the event log too: a replay from before gets only the deletion.
  await redactEventsAbout(trx, [found.id]);
  await deleteCommentRow(trx, found.id);
  const counts = await bumpCounts(trx, found.post_id, { comments: -1 });
  await appendEvent(trx, {
    type: 'comment:deleted',
    topic: postRoom(found.post_id),
    rooms: [postRoom(found.post_id)],
    data: { commentId: found.id, postId: found.post_id },
  });
  await appendPostStats(trx, found.post_author_id, found.post_id, counts);
}
