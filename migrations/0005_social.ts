// Posts, comments, likes and follows. Posts are deleted for real: their comments and likes go with them
// (on delete cascade), so a deleted post is simply gone (404), as the contract's DELETE 204 implies.
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table posts (
      id uuid primary key,
      author_id uuid not null references users (id) on delete cascade,
      body text not null check (char_length(body) between 1 and 5000),
      created_at timestamptz not null default now(),
      edited_at timestamptz,
      like_count integer not null default 0 check (like_count >= 0),
      comment_count integer not null default 0 check (comment_count >= 0)
    )`.execute(db);
  // Keyset pages: the global feed, one author's posts (also the home feed's per-author scan).
  await sql`create index posts_newest on posts (created_at desc, id desc)`.execute(db);
  await sql`create index posts_author_newest on posts (author_id, created_at desc, id desc)`.execute(db);

  await sql`
    create table comments (
      id uuid primary key,
      post_id uuid not null references posts (id) on delete cascade,
      author_id uuid not null references users (id) on delete cascade,
      body text not null check (char_length(body) between 1 and 2000),
      created_at timestamptz not null default now()
    )`.execute(db);
  await sql`create index comments_post_oldest on comments (post_id, created_at, id)`.execute(db);
  await sql`create index comments_author on comments (author_id)`.execute(db);

  await sql`
    create table likes (
      post_id uuid not null references posts (id) on delete cascade,
      user_id uuid not null references users (id) on delete cascade,
      created_at timestamptz not null default now(),
      primary key (post_id, user_id)
    )`.execute(db);
  await sql`create index likes_user on likes (user_id)`.execute(db);

  await sql`
    create table follows (
      follower_id uuid not null references users (id) on delete cascade,
      followee_id uuid not null references users (id) on delete cascade,
      created_at timestamptz not null default now(),
      primary key (follower_id, followee_id),
      check (follower_id <> followee_id)
    )`.execute(db);
  // Pages of followers (newest first) and following (the primary key's prefix serves lookups).
  await sql`create index follows_followee_newest on follows (followee_id, created_at desc, follower_id desc)`.execute(
    db,
  );
  await sql`create index follows_follower_newest on follows (follower_id, created_at desc, followee_id desc)`.execute(
    db,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table follows`.execute(db);
  await sql`drop table likes`.execute(db);
  await sql`drop table comments`.execute(db);
  await sql`drop table posts`.execute(db);
}
