// Test data that matches the wire types, for exercising the platform before features write their own.
import type { Post } from '@plaza/client/protocol';
import type { Db } from '../../server/db/database.ts';
import { newId } from '../../server/lib/ids.ts';
import { appendEvent } from '../../server/realtime/event-log.ts';

export function fakePost(body: string): Post {
  return {
    id: newId(),
    author: { id: newId(), username: 'tester', displayName: 'Tester' },
    body,
    createdAt: new Date().toISOString(),
    editedAt: null,
    likeCount: 0,
    commentCount: 0,
    likedByMe: false,
  };
}

/** Commits one `post:created` event on `feed`, as a feature's transaction would. */
export async function commitFeedEvent(db: Db, body: string): Promise<void> {
  await db
    .transaction()
    .execute((trx) =>
      appendEvent(trx, { type: 'post:created', topic: 'feed', data: { post: fakePost(body) } }),
    );
}
