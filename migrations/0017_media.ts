// Media: photos on posts, event covers and avatars (API.md "Media"). A row is the upload and, once the
// worker is done, its variants; the object store holds the bytes. Every deleted row leaves its key in
// `media_garbage` (a trigger, so no path that deletes a row — a post, an event, an account, a sweep —
// forgets its files); a job removes the objects after commit, and forgets the key once they are gone.
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table media (
      id uuid primary key,
      owner_id uuid not null references users (id) on delete cascade,
      status text not null default 'pending_upload'
        check (status in ('pending_upload', 'processing', 'ready', 'failed')),
      content_type text not null,
      bytes integer not null check (bytes > 0),
      -- Unguessable folder of the upload and its variants in the store.
      key text not null unique,
      width integer,
      height integer,
      -- { display, preview, avatarLarge, avatarSmall, cover }: { key, width, height } each.
      variants jsonb,
      blurhash text,
      description text not null default '' check (char_length(description) <= 1500),
      failure_reason text,
      attached_as text check (attached_as in ('post', 'cover', 'avatar')),
      post_id uuid references posts (id) on delete cascade,
      position smallint,
      created_at timestamptz not null default now(),
      completed_at timestamptz,
      ready_at timestamptz,
      attached_at timestamptz,
      check ((attached_as = 'post') = (post_id is not null)),
      check (attached_as is null or status = 'ready')
    )
  `.execute(db);
  await sql`create index media_post on media (post_id, position) where post_id is not null`.execute(db);
  await sql`create index media_owner on media (owner_id, created_at)`.execute(db);
  // The sweeps: uploads never completed (1 h) and media never attached (24 h).
  await sql`create index media_unattached on media (created_at) where attached_as is null`.execute(db);

  await sql`
    create table media_garbage (
      key text primary key,
      queued_at timestamptz not null default now()
    )
  `.execute(db);
  await sql`
    create function media_to_garbage() returns trigger language plpgsql as $$
    begin
      insert into media_garbage (key) values (old.key) on conflict do nothing;
      return null;
    end $$
  `.execute(db);
  await sql`
    create trigger media_deleted after delete on media
    for each row execute function media_to_garbage()
  `.execute(db);

  // avatar_key: the avatar media's token, copied so that every UserRef finds its URL without a join.
  await sql`
    alter table users
      add column avatar_media_id uuid unique references media (id) on delete set null,
      add column avatar_key text,
      add constraint users_avatar_both check ((avatar_media_id is null) = (avatar_key is null))
  `.execute(db);
  // A post with photos may have no words; the service requires words or photos.
  await sql`
    alter table posts drop constraint posts_body_check,
      add constraint posts_body_check check (char_length(body) <= 5000)
  `.execute(db);
  await sql`alter table events add column cover_media_id uuid unique references media (id) on delete set null`.execute(
    db,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`alter table events drop column cover_media_id`.execute(db);
  await sql`
    alter table posts drop constraint posts_body_check,
      add constraint posts_body_check check (char_length(body) between 1 and 5000)
  `.execute(db);
  await sql`alter table users drop column avatar_media_id, drop column avatar_key`.execute(db);
  await sql`drop table media_garbage`.execute(db);
  await sql`drop table media cascade`.execute(db);
  await sql`drop function media_to_garbage`.execute(db);
}
