// SQL of comments: rows with their author, oldest-first keyset pages.
import type { Executor } from '../db/database.ts';
import type { TimeKey } from '../lib/time-cursor.ts';
import { visibleTo } from '../safety/safety.repository.ts';

export interface CommentView {
  id: string;
  post_id: string;
  author_id: string;
  body: string;
  created_at: Date;
  username: string;
  display_name: string;
  avatar_key: string | null;
}

const commentViews = (db: Executor) =>
  db
    .selectFrom('comments as c')
    .innerJoin('users as u', 'u.id', 'c.author_id')
    .select([
      'c.id',
      'c.post_id',
      'c.author_id',
      'c.body',
      'c.created_at',
      'u.username',
      'u.display_name',
      'u.avatar_key',
    ]);

export async function findCommentView(db: Executor, id: string): Promise<CommentView | undefined> {
  return commentViews(db).where('c.id', '=', id).executeTakeFirst();
}

export async function insertComment(
  db: Executor,
  row: { id: string; postId: string; authorId: string; body: string },
): Promise<void> {
  // created_at from the application clock (millisecond precision), so cursors carry it exactly.
  await db
    .insertInto('comments')
    .values({
      id: row.id,
      post_id: row.postId,
      author_id: row.authorId,
      body: row.body,
      created_at: new Date(),
    })
    .execute();
}

/** The comment with its post's author, locked for deletion; undefined when it does not exist. */
export async function lockCommentWithPost(db: Executor, id: string) {
  return db
    .selectFrom('comments as c')
    .innerJoin('posts as p', 'p.id', 'c.post_id')
    .select(['c.id', 'c.post_id', 'c.author_id', 'p.author_id as post_author_id'])
    .where('c.id', '=', id)
    .forUpdate('c')
    .forKeyShare('p')
    .executeTakeFirst();
}

export async function deleteComment(db: Executor, id: string): Promise<void> {
  await db.deleteFrom('comments').where('id', '=', id).execute();
}

/** One page of a post's comments, oldest first; fetches limit + 1 to know whether more follow. */
export async function listCommentViews(
  db: Executor,
  postId: string,
  after: TimeKey | null,
  limit: number,
  viewerId: string | null = null,
): Promise<CommentView[]> {
  // Authors hidden from the viewer (blocked either way, muted) are left out.
  let query = commentViews(db).where('c.post_id', '=', postId).where(visibleTo(viewerId, 'c.author_id'));
  if (after) {
    query = query.where((eb) => eb(eb.refTuple('c.created_at', 'c.id'), '>', eb.tuple(after.at, after.id)));
  }
  return query
    .orderBy('c.created_at', 'asc')
    .orderBy('c.id', 'asc')
    .limit(limit + 1)
    .execute();
}
