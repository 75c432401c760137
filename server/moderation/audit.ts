// The audit log: one append-only entry per action of a moderator or admin, written in the action's own
// transaction (so an action and its entry commit together or not at all). The database refuses UPDATE and
// DELETE on it (migration 0020); nothing here offers either.
import type { AuditEntry, Page } from '@plaza/client/protocol';
import { sql } from 'kysely';
import type { Db, Trx } from '../db/database.ts';
import { newId } from '../lib/ids.ts';
import { toPage } from '../lib/pagination.ts';
import { decodeTimeCursor, timeKeyOf } from '../lib/time-cursor.ts';
import { avatarUrlOf, type MediaUrls } from '../media/media.objects.ts';

export const AUDIT_ACTIONS = [
  'role_change',
  'suspend',
  'unsuspend',
  'reject_event',
  'cancel_event',
  'remove_post',
  'remove_comment',
  'report_dismiss',
  'report_remove_content',
  'report_suspend_user',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

export interface AuditRecord {
  actorId: string;
  action: AuditAction;
  target: { type: 'user' | 'post' | 'comment' | 'event' | 'report'; id: string };
  note?: string;
}

export async function recordAudit(trx: Trx, record: AuditRecord): Promise<void> {
  await trx
    .insertInto('audit_log')
    .values({
      id: newId(),
      actor_id: record.actorId,
      action: record.action,
      target_type: record.target.type,
      target_id: record.target.id,
      note: (record.note ?? '').slice(0, 2_000),
    })
    .execute();
}

export interface AuditQuery {
  actor?: string;
  action?: AuditAction;
  limit: number;
  cursor?: string;
}

interface AuditRow {
  id: string;
  action: string;
  target_type: string;
  target_id: string;
  note: string;
  created_at: Date;
  actor_id: string;
  username: string | null;
  display_name: string | null;
  avatar_key: string | null;
}

/** Newest first; `actor` is a username. An actor whose account is gone shows as `(deleted)`. */
export async function listAudit(db: Db, query: AuditQuery, urls: MediaUrls): Promise<Page<AuditEntry>> {
  const after = decodeTimeCursor(query.cursor);
  let q = db
    .selectFrom('audit_log as a')
    .leftJoin('users as u', 'u.id', 'a.actor_id')
    .select([
      'a.id',
      'a.action',
      'a.target_type',
      'a.target_id',
      'a.note',
      'a.created_at',
      'a.actor_id',
      'u.username',
      'u.display_name',
      'u.avatar_key',
    ])
    .orderBy('a.created_at', 'desc')
    .orderBy('a.id', 'desc')
    .limit(query.limit + 1);
  if (query.actor) q = q.where(sql<string>`lower(u.username)`, '=', query.actor.toLowerCase());
  if (query.action) q = q.where('a.action', '=', query.action);
  if (after) q = q.where(sql<boolean>`(a.created_at, a.id) < (${after.at}, ${after.id}::uuid)`);
  const rows: AuditRow[] = await q.execute();
  return toPage(
    rows,
    query.limit,
    (row) => ({
      id: row.id,
      actor: {
        id: row.actor_id,
        username: row.username ?? '(deleted)',
        displayName: row.display_name ?? '(deleted)',
        avatarUrl: avatarUrlOf(row.avatar_key, urls),
      },
      action: row.action,
      target: { type: row.target_type, id: row.target_id },
      note: row.note,
      at: row.created_at.toISOString(),
    }),
    (row) => timeKeyOf(row.created_at, row.id),
  );
}
