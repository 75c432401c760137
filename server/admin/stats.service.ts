// The admin overview: users, posts, events, live sockets across the cluster and queue depths.
import type { Db } from '../db/database.ts';
import { type QueueDepths, queueDepths } from '../jobs/queue-depths.ts';
import type { Queues } from '../jobs/queues.ts';
import { AppError } from '../lib/errors.ts';
import { countRows } from './stats.repository.ts';

export interface AdminStats {
  users: number;
  posts: number;
  events: number;
  sockets: number;
  queues: QueueDepths;
}

export interface StatsDeps {
  db: Db;
  queues: Queues;
  /** Sockets connected to every instance (through the Socket.IO adapter); absent without a socket server. */
  connectedSockets?: () => Promise<number>;
}

export async function adminStats(deps: StatsDeps): Promise<AdminStats> {
  const [users, posts, events, sockets, queues] = await Promise.all([
    countRows(deps.db, 'users'),
    countRows(deps.db, 'posts'),
    countRows(deps.db, 'events'),
    deps.connectedSockets?.() ?? Promise.resolve(0),
    queueDepths(deps.queues).catch(() => {
      throw new AppError('unavailable', 'Redis is not answering');
    }),
  ]);
  return { users, posts, events, sockets, queues };
}
