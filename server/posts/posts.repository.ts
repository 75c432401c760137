// SQL of posts: rows with their author, keyset pages, counters.
import { sql } from 'kysely';
import { batchedLookup } from '../db/batched-lookup.ts';
import type { Executor, Trx } from '../db/database.ts';
import type { TimeKey } from '../lib/time-cursor.ts';
import type { MediaJson } from '../media/media.objects.ts';
import { mediaJsonColumns } from '../media/media.repository.ts';
import { eventRooms, type NewEvent, redactEventsAbout } from '../realtime/event-log.ts';
import { visibleTo } from '../safety/safety.repository.ts';
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
  avatar_key: string | null;
  liked_by_me: boolean;
  /** Its ready media in order, as JSON (see mediaJsonColumns). */
  media: MediaJson[];
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
      'u.avatar_key',
      sql<MediaJson[]>`(select coalesce(jsonb_agg(${mediaJsonColumns} order by m.position), '[]'::jsonb)
        from media m where m.post_id = p.id)`.as('media'),
      viewerId
        ? sql<boolean>`exists (select 1 from likes l where l.post_id = p.id and l.user_id = ${viewerId})`.as(
            'liked_by_me',
          )
        : sql<boolean>`false`.as('liked_by_me'),
    ]);
}

/** Whether a post exists; the calls of one turn share one query (a subscribe to many `post:<id>`). */
export const postExists = batchedLookup<string, true>(async (db, ids) => {
  const rows = await db
    .selectFrom('posts')
    .select('id')
    .where('id', 'in', [...ids])
    .execute();
  return new Map(rows.map((row) => [row.id, true as const]));
});

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
  // Authors hidden from the viewer (blocked either way, muted) are left out of every list.
  let query = postViews(db, viewerId).where(visibleTo(viewerId, 'p.author_id'));
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

/**
 * Inserts a post and its `post:created` event in ONE statement (atomic without BEGIN/COMMIT: the hot
 * write path makes one round trip instead of five). The event carries the author's display name, which
 * only the database knows: it is written into the event's `post.author.displayName` by the statement
 * and returned. Undefined when the author does not exist.
 */
export async function insertPostWithEvent(
  db: Executor,
  row: { id: string; authorId: string; body: string; createdAt: Date },
  event: NewEvent<'post:created'>,
  avatarUrl: AvatarUrlParts,
): Promise<{ displayName: string; avatarKey: string | null } | undefined> {
  const { rows } = await sql<{ display_name: string; avatar_key: string | null }>`
    /* prepare:insert-post */
    with author as (select display_name, avatar_key from users where id = ${row.authorId}::uuid),
    post as (
      insert into posts (id, author_id, body, created_at)
      select ${row.id}::uuid, ${row.authorId}::uuid, ${row.body}::text, ${row.createdAt}::timestamptz from author
      returning id
    ),
    logged as (
      insert into event_log (topic, type, rooms, data, subject, actor_id)
      select ${event.topic}::text, ${event.type}::text, ${eventRooms(event)}::text[],
        jsonb_set(
          jsonb_set(${JSON.stringify(event.data)}::jsonb, '{post,author,displayName}', to_jsonb(author.display_name)),
          '{post,author,avatarUrl}',
          coalesce(to_jsonb(${avatarUrl.prefix}::text || author.avatar_key || ${avatarUrl.suffix}::text), 'null'::jsonb)
        ),
        post.id, ${row.authorId}::uuid
      from author, post
    )
    select display_name, avatar_key from author`.execute(db);
  return rows[0] ? { displayName: rows[0].display_name, avatarKey: rows[0].avatar_key } : undefined;
}

/** An avatar's URL is prefix + the user's avatar_key + suffix (see avatarUrlParts). */
export interface AvatarUrlParts {
  prefix: string;
  suffix: string;
}

/** Inserts a post row alone (the path with media, inside a transaction); false when the author is gone. */
export async function insertPost(
  db: Executor,
  row: { id: string; authorId: string; body: string; createdAt: Date },
): Promise<boolean> {
  const inserted = await db
    .insertInto('posts')
    .columns(['id', 'author_id', 'body', 'created_at'])
    .expression((eb) =>
      eb
        .selectFrom('users')
        .select([
          sql<string>`${row.id}::uuid`.as('id'),
          'id as author_id',
          sql<string>`${row.body}::text`.as('body'),
          sql<Date>`${row.createdAt}::timestamptz`.as('created_at'),
        ])
        .where('id', '=', row.authorId),
    )
    .returning('id')
    .executeTakeFirst();
  return inserted !== undefined;
}

/** Locks the post for an edit or a delete; undefined when it does not exist. */
export async function lockPost(db: Executor, id: string) {
  return db
    .selectFrom('posts')
    .select([
      'id',
      'author_id',
      sql<boolean>`exists (select 1 from media m where m.post_id = posts.id)`.as('has_media'),
    ])
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
/**
 * Blanks the logged events carrying the post's words or its comments' (see redactEventsAbout); runs in the
 * deleting transaction, before the comments go with the post.
 */
export const redactPostEvents = (trx: Trx, id: string): Promise<void> =>
  redactEventsAbout(
    trx,
    sql<string[]>`array(select id from comments where post_id = ${id}::uuid) || ${id}::uuid`,
  );

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
