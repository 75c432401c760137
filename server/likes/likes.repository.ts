// SQL of likes: one row per (post, user), so a like is counted once however often it is sent.
import type { Executor } from '../db/database.ts';

/** True when the like was new (the counter must then move). */
export async function insertLike(db: Executor, postId: string, userId: string): Promise<boolean> {
  const row = await db
    .insertInto('likes')
    .values({ post_id: postId, user_id: userId })
    .onConflict((oc) => oc.columns(['post_id', 'user_id']).doNothing())
    .returning('post_id')
    .executeTakeFirst();
  return row !== undefined;
}

/** True when a like was removed. */
export async function deleteLike(db: Executor, postId: string, userId: string): Promise<boolean> {
  const row = await db
    .deleteFrom('likes')
    .where('post_id', '=', postId)
    .where('user_id', '=', userId)
    .returning('post_id')
    .executeTakeFirst();
  return row !== undefined;
}
