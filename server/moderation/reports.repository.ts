// Reports in PostgreSQL: snapshots of what is reported, the one-open-report guard, the queue, and the
// conditional resolution that lets only one of two concurrent moderators resolve a report.
import type { ReportAction, ReportCategory, ReportSnapshot, ReportTargetType } from '@plaza/client/protocol';
import { sql } from 'kysely';
import type { Executor, Trx } from '../db/database.ts';
import type { TimeKey } from '../lib/time-cursor.ts';
import { avatarUrlOf, type MediaUrls } from '../media/media.objects.ts';

export interface TargetFound {
  snapshot: ReportSnapshot;
  /** Whose content it is: told and suspended on resolution. */
  ownerId: string;
  /** An event's status: a rejected one is seen only by its organizer and moderators. */
  eventStatus?: string;
}

const ref = (
  row: { uid: string; username: string; display_name: string; avatar_key: string | null },
  urls: MediaUrls,
) => ({
  id: row.uid,
  username: row.username,
  displayName: row.display_name,
  avatarUrl: avatarUrlOf(row.avatar_key, urls),
});

/** The reported content as it is now (becoming the report's snapshot), or null when there is none. */
export async function findTarget(
  db: Executor,
  type: ReportTargetType,
  id: string,
  urls: MediaUrls,
): Promise<TargetFound | null> {
  const author = ['u.id as uid', 'u.username', 'u.display_name', 'u.avatar_key'] as const;
  if (type === 'post') {
    const row = await db
      .selectFrom('posts as p')
      .innerJoin('users as u', 'u.id', 'p.author_id')
      .select([...author, 'p.id', 'p.body', 'p.created_at'])
      .where('p.id', '=', id)
      .executeTakeFirst();
    if (!row) return null;
    return {
      ownerId: row.uid,
      snapshot: {
        author: ref(row, urls),
        title: null,
        text: row.body,
        url: `/posts/${row.id}`,
        createdAt: row.created_at.toISOString(),
      },
    };
  }
  if (type === 'comment') {
    const row = await db
      .selectFrom('comments as c')
      .innerJoin('users as u', 'u.id', 'c.author_id')
      .select([...author, 'c.id', 'c.post_id', 'c.body', 'c.created_at'])
      .where('c.id', '=', id)
      .executeTakeFirst();
    if (!row) return null;
    return {
      ownerId: row.uid,
      snapshot: {
        author: ref(row, urls),
        title: null,
        text: row.body,
        url: `/posts/${row.post_id}#comment-${row.id}`,
        createdAt: row.created_at.toISOString(),
      },
    };
  }
  if (type === 'event') {
    const row = await db
      .selectFrom('events as e')
      .innerJoin('users as u', 'u.id', 'e.organizer_id')
      .select([...author, 'e.id', 'e.title', 'e.summary', 'e.description', 'e.status', 'e.created_at'])
      .where('e.id', '=', id)
      .executeTakeFirst();
    if (!row) return null;
    return {
      ownerId: row.uid,
      eventStatus: row.status,
      snapshot: {
        author: ref(row, urls),
        title: row.title,
        text: [row.summary, row.description].filter(Boolean).join('\n\n'),
        url: `/events/${row.id}`,
        createdAt: row.created_at.toISOString(),
      },
    };
  }
  const row = await db
    .selectFrom('users as u')
    .select([...author, 'u.bio', 'u.created_at'])
    .where('u.id', '=', id)
    .executeTakeFirst();
  if (!row) return null;
  return {
    ownerId: row.uid,
    snapshot: {
      author: ref(row, urls),
      title: row.display_name,
      text: row.bio,
      url: `/u/${row.username}`,
      createdAt: row.created_at.toISOString(),
    },
  };
}

export interface ReportRow {
  id: string;
  reporter_id: string;
  target_type: ReportTargetType;
  target_id: string;
  target_user_id: string | null;
  snapshot: unknown;
  category: ReportCategory;
  comment: string;
  status: 'open' | 'resolved';
  action: ReportAction | null;
  note: string;
  resolved_by: string | null;
  created_at: Date;
  resolved_at: Date | null;
  reporter_username: string;
  reporter_display_name: string;
  reporter_avatar_key: string | null;
  resolver_username: string | null;
  resolver_display_name: string | null;
  resolver_avatar_key: string | null;
}

/** Reports with their reporter's and resolver's names. */
function reportViews(db: Executor) {
  return db
    .selectFrom('reports as r')
    .innerJoin('users as ru', 'ru.id', 'r.reporter_id')
    .leftJoin('users as mu', 'mu.id', 'r.resolved_by')
    .selectAll('r')
    .select([
      'ru.username as reporter_username',
      'ru.display_name as reporter_display_name',
      'ru.avatar_key as reporter_avatar_key',
      'mu.username as resolver_username',
      'mu.display_name as resolver_display_name',
      'mu.avatar_key as resolver_avatar_key',
    ]);
}

export async function findReportViews(db: Executor, ids: readonly string[]): Promise<ReportRow[]> {
  if (ids.length === 0) return [];
  return (await reportViews(db)
    .where('r.id', 'in', [...ids])
    .orderBy('r.created_at')
    .orderBy('r.id')
    .execute()) as ReportRow[];
}

export async function findOpenReportId(
  db: Executor,
  reporterId: string,
  type: ReportTargetType,
  targetId: string,
): Promise<string | null> {
  const row = await db
    .selectFrom('reports')
    .select('id')
    .where('reporter_id', '=', reporterId)
    .where('target_type', '=', type)
    .where('target_id', '=', targetId)
    .where('status', '=', 'open')
    .executeTakeFirst();
  return row?.id ?? null;
}

export interface NewReport {
  id: string;
  reporterId: string;
  type: ReportTargetType;
  targetId: string;
  ownerId: string;
  snapshot: ReportSnapshot;
  category: ReportCategory;
  comment: string;
}

/** True when inserted; false when the reporter already has an open report on the target (the unique guard). */
export async function insertReport(trx: Trx, report: NewReport): Promise<boolean> {
  const row = await trx
    .insertInto('reports')
    .values({
      id: report.id,
      reporter_id: report.reporterId,
      target_type: report.type,
      target_id: report.targetId,
      target_user_id: report.ownerId,
      snapshot: JSON.stringify(report.snapshot),
      category: report.category,
      comment: report.comment,
    })
    .onConflict((oc) =>
      oc.columns(['reporter_id', 'target_type', 'target_id']).where('status', '=', 'open').doNothing(),
    )
    .returning('id')
    .executeTakeFirst();
  return row !== undefined;
}

/** Oldest first for the open queue; most recently filed first for resolved ones. Fetches limit + 1. */
export async function listReportPage(
  db: Executor,
  status: 'open' | 'resolved',
  after: TimeKey | null,
  limit: number,
): Promise<ReportRow[]> {
  const ascending = status === 'open';
  let q = reportViews(db)
    .where('r.status', '=', status)
    .orderBy('r.created_at', ascending ? 'asc' : 'desc')
    .orderBy('r.id', ascending ? 'asc' : 'desc')
    .limit(limit + 1);
  if (after) {
    q = q.where(
      ascending
        ? sql<boolean>`(r.created_at, r.id) > (${after.at}, ${after.id}::uuid)`
        : sql<boolean>`(r.created_at, r.id) < (${after.at}, ${after.id}::uuid)`,
    );
  }
  return (await q.execute()) as ReportRow[];
}

export interface Resolution {
  action: ReportAction;
  note: string;
  resolvedBy: string;
}

/**
 * Resolves the report if it is still open. Of two moderators resolving at once, the second waits for the
 * first's row lock, finds it resolved and gets undefined.
 */
export async function resolveIfOpen(trx: Trx, id: string, resolution: Resolution) {
  return trx
    .updateTable('reports')
    .set({
      status: 'resolved',
      action: resolution.action,
      note: resolution.note,
      resolved_by: resolution.resolvedBy,
      resolved_at: new Date(),
    })
    .where('id', '=', id)
    .where('status', '=', 'open')
    .returning(['id', 'reporter_id', 'target_type', 'target_id', 'target_user_id', 'snapshot'])
    .executeTakeFirst();
}

/** Every other open report on the same target gets the same resolution. Answers their ids and reporters. */
export async function resolveOthersOnTarget(
  trx: Trx,
  target: { type: ReportTargetType; id: string },
  resolution: Resolution,
) {
  return trx
    .updateTable('reports')
    .set({
      status: 'resolved',
      action: resolution.action,
      note: resolution.note,
      resolved_by: resolution.resolvedBy,
      resolved_at: new Date(),
    })
    .where('target_type', '=', target.type)
    .where('target_id', '=', target.id)
    .where('status', '=', 'open')
    .returning(['id', 'reporter_id'])
    .execute();
}

export async function reportTarget(
  db: Executor,
  id: string,
): Promise<{ type: ReportTargetType; id: string } | null> {
  const row = await db
    .selectFrom('reports')
    .select(['target_type', 'target_id'])
    .where('id', '=', id)
    .executeTakeFirst();
  return row ? { type: row.target_type, id: row.target_id } : null;
}

/** Resolutions of reports on one target take turns (a transaction-scoped advisory lock). */
export async function lockTarget(trx: Trx, target: { type: ReportTargetType; id: string }): Promise<void> {
  await sql`select pg_advisory_xact_lock(hashtextextended(${`report-target:${target.type}:${target.id}`}, 0))`.execute(
    trx,
  );
}
