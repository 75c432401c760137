// The wire's `UserRef` from a users row, for every feature that names a user (authors, parties, participants).
import type { UserRef } from '@plaza/client/protocol';
import type { Executor } from '../db/database.ts';
import { avatarUrlOf, type MediaUrls } from '../media/media.objects.ts';

/** The users columns a `UserRef` is built from. */
export interface UserRefRow {
  id: string;
  username: string;
  display_name: string;
  avatar_key: string | null;
}

export const userRefOf = (row: UserRefRow, urls: MediaUrls): UserRef => ({
  id: row.id,
  username: row.username,
  displayName: row.display_name,
  avatarUrl: avatarUrlOf(row.avatar_key, urls),
});

export async function findUserRefRow(db: Executor, userId: string): Promise<UserRefRow | undefined> {
  return db
    .selectFrom('users')
    .select(['id', 'username', 'display_name', 'avatar_key'])
    .where('id', '=', userId)
    .executeTakeFirst();
}
