// PATCH /me: the display name and bio people see on the profile.
import type { Me } from '@plaza/client/protocol';
import type { Actor } from '../auth/actor.ts';
import { loadMe } from '../auth/me.ts';
import type { Deps } from '../deps.ts';
import { mediaStoreOf } from '../media/store.factory.ts';
import type { UpdateProfileInput } from './account.schema.ts';

export async function updateProfile(
  deps: Pick<Deps, 'db' | 'config'>,
  actor: Actor,
  input: UpdateProfileInput,
): Promise<Me> {
  const set = {
    ...(input.displayName === undefined ? {} : { display_name: input.displayName }),
    ...(input.bio === undefined ? {} : { bio: input.bio }),
  };
  if (Object.keys(set).length > 0) {
    await deps.db.updateTable('users').set(set).where('id', '=', actor.userId).execute();
  }
  return loadMe(deps.db, actor.userId, mediaStoreOf(deps.config));
}
