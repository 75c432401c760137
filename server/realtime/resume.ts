// `resume { since }`: replay to one socket every event after `since` on its rooms, in seq order.
import type { AnyPush } from '@plaza/client/protocol';
import { sql } from 'kysely';
import type { Db } from '../db/database.ts';
import { AppError } from '../lib/errors.ts';
import { isRedacted, readRelayPosition } from './event-log.ts';

const PAGE = 500;
/** Past this many missed events a reload by REST is cheaper than a replay. */
export const MAX_REPLAY = 10_000;

interface LogRow {
  seq: number;
  topic: string;
  type: string;
  data: unknown;
  created_at: Date;
}

/**
 * Sends the missed events through `send` and returns the seq the client is now current to.
 * Events relayed later arrive live: the socket is already in its rooms when this reads.
 */
export async function replaySince(
  db: Db,
  rooms: string[],
  since: number,
  send: (push: AnyPush) => void,
  hiddenActors: readonly string[] = [],
): Promise<number> {
  const position = await readRelayPosition(db);
  if (since < position.prunedSeq) {
    throw new AppError('resume_gap', 'Events since then are no longer kept; reload', {
      oldestSeq: position.prunedSeq + 1,
    });
  }
  // Everything assigned so far is in the log; replay up to there, the rest comes live.
  const upTo = position.assignedSeq;
  if (since >= upTo || rooms.length === 0) return Math.max(since, upTo);

  // Counts no further than the bound: a socket far behind costs MAX_REPLAY rows, not the whole log.
  const missed = await sql<{ n: number }>`
    select count(*) as n from (
      select 1 from event_log
      where seq > ${since} and seq <= ${upTo} and rooms && ${sql.val(rooms)}::text[]
      limit ${MAX_REPLAY + 1}
    ) missed`.execute(db);
  if ((missed.rows[0]?.n ?? 0) > MAX_REPLAY) {
    throw new AppError('resume_gap', 'Too much was missed to replay; reload', { missed: missed.rows[0]?.n });
  }

  // Content of users hidden from this socket (blocks, mutes: its `hide:` rooms) is skipped, as live.
  const visible =
    hiddenActors.length === 0
      ? sql`true`
      : sql`(actor_id is null or actor_id <> all(${sql.val([...hiddenActors])}::uuid[]))`;
  let cursor = since;
  for (;;) {
    const { rows } = await sql<LogRow>`
      select seq, topic, type, data, created_at from event_log
      where seq > ${cursor} and seq <= ${upTo} and rooms && ${sql.val(rooms)}::text[] and ${visible}
      order by seq limit ${PAGE}`.execute(db);
    for (const row of rows) {
      // Deleted content (see redactEventsAbout): its deletion event follows, its words are gone.
      if (isRedacted(row.data)) continue;
      send({
        seq: row.seq,
        topic: row.topic,
        type: row.type,
        at: row.created_at.toISOString(),
        data: row.data,
      } as AnyPush);
    }
    if (rows.length < PAGE) break;
    cursor = rows[rows.length - 1]!.seq;
  }
  return upTo;
}
