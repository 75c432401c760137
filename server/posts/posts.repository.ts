// SQL of posts: rows with their author, keyset pages, counters.
import { sql } from 'kysely';
import type { Executor } from '../db/database.ts';
import type { TimeKey } from '../lib/time-cursor.ts';
import { followeesOf } from '../social/social.repository.ts';

export interface PostView {
  id: string;
  author_id: string;
  body: string;
  created_at: Date;
  edited_at: Date | null;
  like_count: number;
  comment_count: number;
  username: string;
  display_name: string;
  liked_by_me: boolean;
}

export interface PostCounts {
  like_count: number;
  comment_count: number;
}

/** Posts with their author, and whether `viewerId` likes each. */
function postViews(db: Executor, viewerId: string | null) {
  return db
    .selectFrom('posts as p')
    .innerJoin('users as u', 'u.id', 'p.author_id')
    .select([
      'p.id',
      'p.author_id',
      'p.body',
      'p.created_at',
      'p.edited_at',
      'p.like_count',
      'p.comment_count',
      'u.username',
      'u.display_name',
      viewerId
        ? sql<boolean>`exists (select 1 from likes l where l.post_id = p.id and l.user_id = ${viewerId})`.as(
            'liked_by_me',
          )
        : sql<boolean>`false`.as('liked_by_me'),
    ]);
}

export async function findPostView(
  db: Executor,
  id: string,
  viewerId: string | null,
): Promise<PostView | undefined> {
  return postViews(db, viewerId).where('p.id', '=', id).executeTakeFirst();
}

export type PostScope =
  | { kind: 'all' }
  | { kind: 'author'; authorId: string }
  | { kind: 'home'; userId: string };

/** One page, newest first, keyed by (created_at, id); fetches limit + 1 to know whether more follow. */
export async function listPostViews(
  db: Executor,
  scope: PostScope,
  viewerId: string | null,
  after: TimeKey | null,
  limit: number,
): Promise<PostView[]> {
  let query = postViews(db, viewerId);
  if (scope.kind === 'author') query = query.where('p.author_id', '=', scope.authorId);
  if (scope.kind === 'home') {
    const { userId } = scope;
    query = query.where((eb) =>
      eb.or([eb('p.author_id', '=', userId), eb('p.author_id', 'in', followeesOf(db, userId))]),
    );
  }
  if (after) {
    query = query.where((eb) => eb(eb.refTuple('p.created_at', 'p.id'), '<', eb.tuple(after.at, after.id)));
  }
  return query
    .orderBy('p.created_at', 'desc')
    .orderBy('p.id', 'desc')
    .limit(limit + 1)
    .execute();
}

export async function insertPost(db: Executor, row: { id: string; authorId: string; body: string }) {
  // created_at from the application clock (millisecond precision), so cursors carry it exactly.
  await db
    .insertInto('posts')
    .values({ id: row.id, author_id: row.authorId, body: row.body, created_at: new Date() })
    .execute();
}

/** Locks the post for an edit or a delete; undefined when it does not exist. */
export async function lockPost(db: Executor, id: string) {
  return db
    .selectFrom('posts')
    .select(['id', 'author_id'])
    .where('id', '=', id)
    .forUpdate()
    .executeTakeFirst();
}

/**
 * Holds the post against deletion while a like or comment is added (FOR KEY SHARE does not block
 * the counter updates of concurrent likes); undefined when it does not exist.
 */
export async function holdPost(db: Executor, id: string) {
  return db
    .selectFrom('posts')
    .select(['id', 'author_id', 'body'])
    .where('id', '=', id)
    .forKeyShare()
    .executeTakeFirst();
}

export async function updatePostBody(db: Executor, id: string, body: string): Promise<void> {
  await db.updateTable('posts').set({ body, edited_at: new Date() }).where('id', '=', id).execute();
}

/** Deletes the post; its comments and likes go with it (on delete cascade). */
export async function deletePost(db: Executor, id: string): Promise<void> {
  await db.deleteFrom('posts').where('id', '=', id).execute();
}

/** Adds to the counters in place (row lock held to commit), returning the new values. */
export async function bumpCounts(
  db: Executor,
  id: string,
  delta: { likes?: number; comments?: number },
): Promise<PostCounts> {
  return db
    .updateTable('posts')
    .set((eb) => ({
      like_count: eb('like_count', '+', delta.likes ?? 0),
      comment_count: eb('comment_count', '+', delta.comments ?? 0),
    }))
    .where('id', '=', id)
    .returning(['like_count', 'comment_count'])
    .executeTakeFirstOrThrow();
}

export async function readCounts(db: Executor, id: string): Promise<PostCounts> {
  return db
    .selectFrom('posts')
    .select(['like_count', 'comment_count'])
    .where('id', '=', id)
    .executeTakeFirstOrThrow();
}
