// The `account` worker's export task: every part of one account as JSON files, its media's display
// variants beside them, zipped (fflate) into the private `exports/` key; then `export_ready` and an email.
// Only the account's own rows are read; other people appear by username (public), never by address.
import { strToU8, type Zippable, zipSync } from 'fflate';
import { sql } from 'kysely';
import { queueAccountEmail } from '../auth/auth.emails.ts';
import type { Config } from '../config.ts';
import type { Db } from '../db/database.ts';
import type { Queues } from '../jobs/queues.ts';
import type { Logger } from '../lib/logger.ts';
import type { MediaStore } from '../media/media.store.ts';
import { notify } from '../notifications/notifications.service.ts';
import { downloadPath, EXPORT_TTL_MS } from './export.ts';

export interface ExportWorkerDeps {
  db: Db;
  queues: Queues;
  logger: Logger;
  config: Config;
  store: Pick<MediaStore, 'get' | 'put'>;
}

/** Rows as JSON: dates as ISO strings (JSON.stringify does it), bigints as numbers. */
const json = (value: unknown): Uint8Array =>
  strToU8(`${JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? Number(v) : v), 2)}\n`);

/** Everything of `userId`, file by file (README.json says what each holds). */
export async function collectAccountData(db: Db, userId: string): Promise<Record<string, unknown>> {
  const q = async <T>(query: ReturnType<typeof sql<T>>) => (await query.execute(db)).rows;
  const [profile] = await q(sql`
    select id, username, email, display_name, bio, role, email_verified_at, created_at
    from users where id = ${userId}`);
  return {
    'profile.json': profile,
    'posts.json': await q(sql`
      select p.id, p.body, p.created_at, p.edited_at, p.like_count, p.comment_count,
        coalesce((select json_agg(m.id order by m.position) from media m where m.post_id = p.id), '[]') as media
      from posts p where p.author_id = ${userId} order by p.created_at, p.id`),
    'comments.json': await q(sql`
      select c.id, c.post_id, c.body, c.created_at
      from comments c where c.author_id = ${userId} order by c.created_at, c.id`),
    'likes.json': await q(sql`
      select l.post_id, l.created_at from likes l where l.user_id = ${userId} order by l.created_at`),
    'follows.json': {
      following: await q(sql`
        select u.username, f.created_at from follows f join users u on u.id = f.followee_id
        where f.follower_id = ${userId} order by f.created_at`),
      followers: await q(sql`
        select u.username, f.created_at from follows f join users u on u.id = f.follower_id
        where f.followee_id = ${userId} order by f.created_at`),
    },
    'events.json': {
      organised: await q(sql`
        select id, title, summary, description, location, starts_at, ends_at, capacity, price_cents, status,
          going_count, waitlist_count, created_at, updated_at
        from events where organizer_id = ${userId} order by starts_at, id`),
      joined: await q(sql`
        select e.id as event_id, e.title, e.starts_at, e.ends_at, p.status, p.joined_at,
          p.ticket_transfer_id
        from event_participants p join events e on e.id = p.event_id
        where p.user_id = ${userId} order by p.joined_at`),
    },
    'transfers.json': await q(sql`
      select t.id, t.kind, t.status, t.amount_cents, t.memo, t.failure_reason, t.reference,
        t.created_at, t.completed_at,
        case when t.from_user_id = ${userId} then 'sent' else 'received' end as direction,
        fu.username as from_username, tu.username as to_username
      from transfers t
      left join users fu on fu.id = t.from_user_id
      left join users tu on tu.id = t.to_user_id
      where t.from_user_id = ${userId} or t.to_user_id = ${userId}
      order by t.created_at, t.id`),
    'wallet.json': await q(sql`
      select balance_cents, held_cents, created_at from wallet_accounts where user_id = ${userId}`),
    'notifications.json': await q(sql`
      select id, type, title, body, url, created_at, read_at
      from notifications where user_id = ${userId} order by created_at, id`),
    'sessions.json': await q(sql`
      select id, user_agent, created_at, last_seen_at, expires_at
      from sessions where user_id = ${userId} order by created_at`),
    'security-log.json': await q(sql`
      select type, ip, user_agent, created_at
      from security_events where user_id = ${userId} order by created_at, id`),
    'media.json': await q(sql`
      select id, status, content_type, width, height, description, attached_as, post_id, created_at
      from media where owner_id = ${userId} order by created_at, id`),
  };
}

const README = `Your Plaza data export.

profile.json         your account (no password: only its hash is kept, and it is not included)
posts.json           your posts; their photos are in media/ by id
comments.json        your comments
likes.json           the posts you liked
follows.json         whom you follow and who follows you (usernames)
events.json          events you organised and events you joined
transfers.json       every transfer you sent or received
wallet.json          your balance and money held
notifications.json   your notifications
sessions.json        where you are signed in
security-log.json    sign-ins, failed ones, changes to your account
media.json           your uploads; media/<id>.webp is each one's largest variant
`;

/** Builds, stores and announces one export; a rerun of a finished one does nothing. */
export async function buildExport(deps: ExportWorkerDeps, exportId: string): Promise<void> {
  const row = await deps.db
    .selectFrom('exports')
    .innerJoin('users', 'users.id', 'exports.user_id')
    .select([
      'exports.id',
      'exports.user_id',
      'exports.key',
      'exports.status',
      'users.email',
      'users.deleted_at',
    ])
    .where('exports.id', '=', exportId)
    .executeTakeFirst();
  if (row?.status !== 'pending' || row.deleted_at) return;

  const data = await collectAccountData(deps.db, row.user_id);
  const files: Zippable = { 'README.txt': strToU8(README) };
  for (const [name, value] of Object.entries(data)) files[name] = json(value);
  const media = await deps.db
    .selectFrom('media')
    .select(['id', 'variants'])
    .where('owner_id', '=', row.user_id)
    .where('status', '=', 'ready')
    .execute();
  for (const m of media) {
    const key = m.variants?.display.key;
    const bytes = key ? await deps.store.get(key) : undefined;
    // WebP is compressed already: stored as is.
    if (bytes) files[`media/${m.id}.webp`] = [new Uint8Array(bytes), { level: 0 }];
  }
  const zip = zipSync(files, { level: 6 });
  await deps.store.put(row.key, Buffer.from(zip.buffer, zip.byteOffset, zip.byteLength), 'application/zip');

  const readyAt = new Date();
  const marked = await deps.db.transaction().execute(async (trx) => {
    const updated = await trx
      .updateTable('exports')
      .set({
        status: 'ready',
        bytes: zip.byteLength,
        ready_at: readyAt,
        expires_at: new Date(readyAt.getTime() + EXPORT_TTL_MS),
      })
      .where('id', '=', exportId)
      .where('status', '=', 'pending')
      .returning('id')
      .executeTakeFirst();
    if (!updated) return false;
    await notify(trx, {
      userId: row.user_id,
      type: 'export_ready',
      title: 'Your data export is ready',
      body: 'Download it from your settings within 7 days.',
      url: '/settings#export',
      dedupeKey: `export:${exportId}`,
    });
    return true;
  });
  if (!marked) return;
  const link = new URL(downloadPath(exportId), deps.config.publicUrl).toString();
  await queueAccountEmail(deps, {
    to: row.email,
    subject: 'Your Plaza data export is ready',
    text: `The export of your Plaza data you asked for is ready.\n\nDownload it (sign in first) within 7 days:\n${link}\n\nor from your settings: ${new URL('/settings#export', deps.config.publicUrl).toString()}\n\nIf you did not ask for it, someone has access to your account: change your password.\n`,
  });
  deps.logger.info({ exportId, bytes: zip.byteLength, media: media.length }, 'data export ready');
}

/** After the last attempt: the export is marked failed, so the account sees it and may ask again tomorrow. */
export async function markExportFailed(db: Db, exportId: string): Promise<void> {
  await db
    .updateTable('exports')
    .set({ status: 'failed' })
    .where('id', '=', exportId)
    .where('status', '=', 'pending')
    .execute();
}
