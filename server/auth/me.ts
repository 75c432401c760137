// The `Me` object: the signed-in user's own view of their account (User + email, verification, role).
import type { Me } from '@plaza/client/protocol';
import type { Executor } from '../db/database.ts';
import type { UserRow } from '../db/schema.ts';
import { notFound } from '../lib/errors.ts';
import { avatarOf, avatarUrlOf, type MediaUrls } from '../media/media.objects.ts';
import { type FollowCounts, findUserById, followCounts } from './accounts.repository.ts';

export async function userRowToMe(
  db: Executor,
  row: UserRow,
  viewerId: string | null,
  urls: MediaUrls,
): Promise<Me> {
  return meOf(row, await followCounts(db, row.id, viewerId), urls);
}

/** `Me` from the user's row and follow counts read already (sign-in reads them in its own statement). */
export function meOf(row: UserRow, counts: FollowCounts, urls: MediaUrls): Me {
  return {
    id: row.id,
    username: row.username,
    displayName: row.display_name,
    avatarUrl: avatarUrlOf(row.avatar_key, urls),
    avatar: avatarOf(row.avatar_key, urls),
    bio: row.bio,
    createdAt: row.created_at.toISOString(),
    ...counts,
    email: row.email,
    emailVerified: row.email_verified_at !== null,
    role: row.role,
  };
}

export async function loadMe(
  db: Executor,
  userId: string,
  urls: MediaUrls,
  viewerId: string | null = userId,
): Promise<Me> {
  const row = await findUserById(db, userId);
  if (!row) throw notFound('User');
  return userRowToMe(db, row, viewerId, urls);
}
