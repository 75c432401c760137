// Test data that matches the wire types, for exercising the platform before features write their own.
import type { Post } from '@plaza/client/protocol';
import type { Db } from '../../server/db/database.ts';
import { newId } from '../../server/lib/ids.ts';
import type { MediaUrls } from '../../server/media/media.objects.ts';
import { appendEvent } from '../../server/realtime/event-log.ts';

export function fakePost(body: string): Post {
  return {
    id: newId(),
    author: { id: newId(), username: 'tester', displayName: 'Tester', avatarUrl: null },
    body,
    media: [],
    createdAt: new Date().toISOString(),
    editedAt: null,
    likeCount: 0,
    commentCount: 0,
    likedByMe: false,
  };
}

/** Media URLs for hand-built deps (no avatars in these tests' users, so no URL is ever built from them). */
export const testMediaUrls: MediaUrls = { publicUrl: (key) => `http://plaza.test/${key}` };

/** Commits one `post:created` event on `feed`, as a feature's transaction would. */
export async function commitFeedEvent(db: Db, body: string): Promise<void> {
  await db
    .transaction()
    .execute((trx) =>
      appendEvent(trx, { type: 'post:created', topic: 'feed', data: { post: fakePost(body) } }),
    );
}
