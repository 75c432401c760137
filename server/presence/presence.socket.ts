// The `presence { topic }` command: the topic's numbers across instances and a sample of its signed-in
// watchers, for a socket allowed to see the topic (the same rules as `subscribe`).
import type { PresenceSnapshot } from '@plaza/client/protocol';
import { z } from 'zod';
import type { Actor } from '../auth/actor.ts';
import type { Db } from '../db/database.ts';
import { AppError } from '../lib/errors.ts';
import type { Logger } from '../lib/logger.ts';
import type { MediaUrls } from '../media/media.objects.ts';
import { onCommand } from '../realtime/commands.ts';
import { hiddenUsersOf } from '../realtime/hide-rooms.ts';
import type { PlazaSocket } from '../realtime/socket-types.ts';
import type { TopicRegistry } from '../realtime/topics.ts';
import { userRefOf } from '../social/user-refs.ts';
import type { Presence } from './presence.ts';
import { isPresenceTopic } from './presence-keys.ts';

export interface PresenceCommandDeps {
  presence: Presence;
  topics: TopicRegistry;
  db: Db;
  urls: MediaUrls;
  logger: Logger;
}

const presenceSchema = z.object({ topic: z.string().min(1).max(200) });

export async function presenceOf(
  deps: PresenceCommandDeps,
  socket: PlazaSocket,
  actor: Actor | null,
  topic: string,
): Promise<PresenceSnapshot> {
  const match = deps.topics.canonical(topic);
  if (!isPresenceTopic(match.topic)) {
    throw new AppError('validation_failed', 'Presence is kept for feed, post:<id> and event:<id>', {
      topic: match.topic,
    });
  }
  // Refused exactly as a subscribe would be (a rejected event, a blocker's post).
  await deps.topics.resolve(match, actor);
  // Whom the socket hides (blocked either way, muted) is in its `hide:` rooms, current on every instance.
  await socket.data.hidden;
  const { clients, users, ids } = await deps.presence.sample(match.topic, hiddenUsersOf(socket.rooms));
  const rows =
    ids.length === 0
      ? []
      : await deps.db
          .selectFrom('users')
          .select(['id', 'username', 'display_name', 'avatar_key'])
          .where('id', 'in', ids)
          .where('suspended_at', 'is', null)
          .orderBy('username')
          .execute();
  return { clients, users, sample: rows.map((row) => userRefOf(row, deps.urls)) };
}

export function registerPresenceCommands(socket: PlazaSocket, deps: PresenceCommandDeps): void {
  onCommand(
    socket,
    'presence',
    presenceSchema,
    ({ topic }, { socket: own, actor }) => presenceOf(deps, own, actor, topic),
    deps.logger,
  );
}
