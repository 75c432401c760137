// The rules of likes: idempotent, counted exactly (the counter moves only with a row), pushed as post:stats.
import type { Actor } from '../auth/actor.ts';
import type { Deps } from '../deps.ts';
import { notFound } from '../lib/errors.ts';
import { notify } from '../notifications/notifications.service.ts';
import { appendPostStats } from '../posts/posts.events.ts';
import { feedWriteLimits } from '../posts/posts.limits.ts';
import { bumpCounts, holdPost, readCounts } from '../posts/posts.repository.ts';
import type { LikeInput } from '../posts/posts.schema.ts';
import { requireActor } from '../posts/posts.service.ts';
import { refuseIfBlockedBy } from '../safety/safety.guards.ts';
import { deleteLike, insertLike } from './likes.repository.ts';

export interface LikeState {
  liked: boolean;
  likeCount: number;
}

const excerpt = (body: string) => (body.length > 80 ? `${body.slice(0, 79)}…` : body);

export async function likePost(deps: Deps, actor: Actor | null, input: LikeInput): Promise<LikeState> {
  const me = requireActor(actor);
  await feedWriteLimits(deps).likes.consume(me.userId);
  return deps.db.transaction().execute(async (trx) => {
    const post = await holdPost(trx, input.postId);
    if (!post) throw notFound('Post');
    await refuseIfBlockedBy(trx, me, post.author_id);
    if (!(await insertLike(trx, post.id, me.userId))) {
      return { liked: true, likeCount: (await readCounts(trx, post.id)).like_count };
    }
    const counts = await bumpCounts(trx, post.id, { likes: 1 });
    await appendPostStats(trx, post.author_id, post.id, counts);
    if (post.author_id !== me.userId) {
      await notify(trx, {
        userId: post.author_id,
        type: 'like',
        title: `${me.username} liked your post`,
        body: excerpt(post.body),
        url: `/posts/${post.id}`,
        // Like, unlike, like again: one notification.
        dedupeKey: `like:${post.id}:${me.userId}`,
        actorId: me.userId,
      });
    }
    return { liked: true, likeCount: counts.like_count };
  });
}

export async function unlikePost(deps: Deps, actor: Actor | null, input: LikeInput): Promise<LikeState> {
  const me = requireActor(actor);
  await feedWriteLimits(deps).likes.consume(me.userId);
  return deps.db.transaction().execute(async (trx) => {
    const post = await holdPost(trx, input.postId);
    if (!post) throw notFound('Post');
    if (!(await deleteLike(trx, post.id, me.userId))) {
      return { liked: false, likeCount: (await readCounts(trx, post.id)).like_count };
    }
    const counts = await bumpCounts(trx, post.id, { likes: -1 });
    await appendPostStats(trx, post.author_id, post.id, counts);
    return { liked: false, likeCount: counts.like_count };
  });
}
