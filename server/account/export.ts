// Data exports (API.md "Profiles and account self-service"): once a day an account may ask for a ZIP of
// everything it holds; a worker builds it (export-archive.ts) into the store's private `exports/` space, the
// `export_ready` notification and an email carry the link, and the archive goes after 7 days.
import type { Actor } from '../auth/actor.ts';
import type { ClientInfo } from '../auth/auth.context.ts';
import type { Db, Executor } from '../db/database.ts';
import type { ExportStatus } from '../db/schema.ts';
import type { Deps } from '../deps.ts';
import { AppError, notFound, rateLimited } from '../lib/errors.ts';
import { newId } from '../lib/ids.ts';
import type { MediaStore } from '../media/media.store.ts';
import { newMediaToken } from '../media/media.store.ts';
import { mediaStoreOf } from '../media/store.factory.ts';
import { recordSecurityEvent } from './security-log.ts';

const DAY_MS = 24 * 3600 * 1_000;
/** One export per account per this long (API.md: once a day). */
export const EXPORT_INTERVAL_MS = DAY_MS;
/** How long an archive stays downloadable. */
export const EXPORT_TTL_MS = 7 * DAY_MS;
/** A download link's life (API.md: ≤ 5 min). */
export const DOWNLOAD_URL_SECONDS = 300;

export interface ExportInfo {
  id: string;
  status: ExportStatus;
  bytes: number | null;
  createdAt: string;
  readyAt: string | null;
  expiresAt: string;
  /** `GET` it for a 302 to the archive; null until ready. */
  downloadUrl: string | null;
}

export const downloadPath = (id: string): string => `/api/v1/me/exports/${id}/download`;

/**
 * 202: a pending export, built by the `account` worker. The user's row lock orders two requests at once,
 * so the second sees the first and gets its 429 like any later one.
 */
export async function requestExport(
  deps: Pick<Deps, 'db' | 'queues'>,
  actor: Actor,
  client: ClientInfo,
): Promise<ExportInfo> {
  const row = await deps.db.transaction().execute(async (trx) => {
    await trx.selectFrom('users').select('id').where('id', '=', actor.userId).forUpdate().executeTakeFirst();
    const last = await trx
      .selectFrom('exports')
      .select('created_at')
      .where('user_id', '=', actor.userId)
      .orderBy('created_at', 'desc')
      .limit(1)
      .executeTakeFirst();
    const wait = last ? last.created_at.getTime() + EXPORT_INTERVAL_MS - Date.now() : 0;
    if (wait > 0) throw rateLimited(wait);
    const now = new Date();
    const inserted = await trx
      .insertInto('exports')
      .values({
        id: newId(),
        user_id: actor.userId,
        key: `exports/${newMediaToken()}.zip`,
        created_at: now,
        expires_at: new Date(now.getTime() + EXPORT_TTL_MS),
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    await recordSecurityEvent(trx, { userId: actor.userId, type: 'export_requested', ...client });
    return inserted;
  });
  await deps.queues.add('account', { task: 'export', exportId: row.id }, { jobId: `export_${row.id}` });
  return exportInfoOf(row);
}

interface ExportRowLike {
  id: string;
  status: ExportStatus;
  bytes: number | string | null;
  created_at: Date;
  ready_at: Date | null;
  expires_at: Date;
}

const exportInfoOf = (row: ExportRowLike): ExportInfo => ({
  id: row.id,
  status: row.status,
  // bigint arrives as a string from pg.
  bytes: row.bytes === null ? null : Number(row.bytes),
  createdAt: row.created_at.toISOString(),
  readyAt: row.ready_at ? row.ready_at.toISOString() : null,
  expiresAt: row.expires_at.toISOString(),
  downloadUrl: row.status === 'ready' ? downloadPath(row.id) : null,
});

/** The account's exports not yet expired, newest first (at most 7 at a time: one a day, kept 7 days). */
export async function listExports(db: Executor, userId: string): Promise<ExportInfo[]> {
  const rows = await db
    .selectFrom('exports')
    .select(['id', 'status', 'bytes', 'created_at', 'ready_at', 'expires_at'])
    .where('user_id', '=', userId)
    .where('expires_at', '>', new Date())
    .orderBy('created_at', 'desc')
    .limit(20)
    .execute();
  return rows.map(exportInfoOf);
}

/**
 * A presigned GET of the archive (≤ 5 min). Someone else's or an unknown export is 404; one not built yet
 * (or whose build failed) is 409.
 */
export async function exportDownloadUrl(
  deps: Pick<Deps, 'db' | 'config'>,
  actor: Actor,
  exportId: string,
): Promise<string> {
  const row = await deps.db
    .selectFrom('exports')
    .select(['status', 'key', 'created_at', 'expires_at'])
    .where('id', '=', exportId)
    .where('user_id', '=', actor.userId)
    .executeTakeFirst();
  if (!row || row.expires_at <= new Date()) throw notFound('Export');
  if (row.status !== 'ready')
    throw new AppError('conflict', 'This export is not ready', { reason: row.status });
  const day = row.created_at.toISOString().slice(0, 10);
  return mediaStoreOf(deps.config).presignGet(row.key, {
    expiresInSeconds: DOWNLOAD_URL_SECONDS,
    filename: `plaza-${actor.username}-${day}.zip`,
  });
}

/** Maintenance: archives past their 7 days, files first (a crash leaves a row to retry, never a lost file). */
export async function expireExports(
  db: Db,
  store: Pick<MediaStore, 'delete'>,
  now = new Date(),
): Promise<number> {
  let removed = 0;
  for (;;) {
    const rows = await db
      .selectFrom('exports')
      .select(['id', 'key'])
      .where('expires_at', '<=', now)
      .orderBy('expires_at')
      .limit(500)
      .execute();
    if (rows.length === 0) return removed;
    await store.delete(rows.map((r) => r.key));
    await db
      .deleteFrom('exports')
      .where(
        'id',
        'in',
        rows.map((r) => r.id),
      )
      .execute();
    removed += rows.length;
  }
}
