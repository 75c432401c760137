// The moderators' list of accounts: search by name or email, filter by role and status, newest first, with
// when each was last seen and how many open reports name them.
import type { AdminUser, Page } from '@plaza/client/protocol';
import { sql } from 'kysely';
import { type Actor, assertRole } from '../auth/actor.ts';
import type { Deps } from '../deps.ts';
import { toPage } from '../lib/pagination.ts';
import { decodeTimeCursor, timeKeyOf } from '../lib/time-cursor.ts';
import { mediaStoreOf } from '../media/store.factory.ts';
import { profiles } from '../social/social.repository.ts';
import { profileRowToUser } from '../social/social.service.ts';
import type { AdminUsersQuery } from './reports.schema.ts';

/** `%`, `_` and `\` typed in a search are themselves, not patterns. */
const likeEscape = (text: string) => text.replace(/[\\%_]/g, (c) => `\\${c}`);

export async function listAdminUsers(
  deps: Pick<Deps, 'db' | 'config'>,
  actor: Actor | null,
  query: AdminUsersQuery,
): Promise<Page<AdminUser>> {
  const me = assertRole(actor, 'moderator');
  const after = decodeTimeCursor(query.cursor);
  let q = profiles(deps.db, me.userId)
    .select([
      'u.email',
      'u.role',
      'u.suspended_at',
      sql<Date | null>`(select max(s.last_seen_at) from sessions s where s.user_id = u.id)`.as(
        'last_seen_at',
      ),
      sql<number>`(select count(*)::int from reports r where r.target_user_id = u.id and r.status = 'open')`.as(
        'open_reports',
      ),
    ])
    .orderBy('u.created_at', 'desc')
    .orderBy('u.id', 'desc')
    .limit(query.limit + 1);
  if (query.query) {
    const pattern = `%${likeEscape(query.query.toLowerCase())}%`;
    q = q.where((eb) =>
      eb.or([
        eb(sql<string>`lower(u.username)`, 'like', pattern),
        eb(sql<string>`lower(u.display_name)`, 'like', pattern),
        eb(sql<string>`lower(u.email)`, 'like', pattern),
      ]),
    );
  }
  if (query.role) q = q.where('u.role', '=', query.role);
  if (query.status === 'suspended') q = q.where('u.suspended_at', 'is not', null);
  if (query.status === 'active') q = q.where('u.suspended_at', 'is', null);
  if (after) q = q.where(sql<boolean>`(u.created_at, u.id) < (${after.at}, ${after.id}::uuid)`);
  const rows = await q.execute();
  const urls = mediaStoreOf(deps.config);
  return toPage(
    rows,
    query.limit,
    (row) => ({
      user: profileRowToUser(row, urls),
      email: row.email,
      role: row.role,
      status: row.suspended_at ? 'suspended' : 'active',
      createdAt: row.created_at.toISOString(),
      lastSeenAt: row.last_seen_at ? new Date(row.last_seen_at).toISOString() : null,
      openReports: Number(row.open_reports),
    }),
    (row) => timeKeyOf(row.created_at, row.id),
  );
}
