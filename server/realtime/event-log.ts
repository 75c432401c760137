// Appending pushes to the event log inside the caller's transaction: the change and its events commit together.
import type { PushData, PushType } from '@plaza/client/protocol';
import { type RawBuilder, sql } from 'kysely';
import type { Executor, Trx } from '../db/database.ts';

export interface NewEvent<T extends PushType = PushType> {
  type: T;
  /** The topic named in the envelope (`feed`, `post:<id>`, `me`, …). */
  topic: string;
  /** Rooms that receive it; a socket in several of them gets it once. Defaults to `[topic]`. */
  rooms?: string[];
  data: PushData[T];
  /** The post or comment whose content `data` carries: deleting it redacts this event (redactEventsAbout). */
  subject?: string;
  /**
   * Whose content it carries (a post's or comment's author): sockets whose user must not hear from them
   * (blocks, mutes; see server/safety) do not get it, live or on `resume`.
   */
  actor?: string;
}

/** The rooms an event goes to: its own, or its topic's. */
export const eventRooms = (e: NewEvent): string[] => (e.rooms && e.rooms.length > 0 ? e.rooms : [e.topic]);

/** Appends events in the given transaction; the relay publishes them after commit. */
export async function appendEvents(trx: Trx, events: ReadonlyArray<NewEvent>): Promise<void> {
  if (events.length === 0) return;
  // One JSON parameter, however many events (a settlement appends hundreds): one native stringify here
  // instead of a parameter per value, and one prepared statement for every batch size. Rows keep the
  // array's order, so ids (and the relay's seqs) follow it.
  const rows = events.map((e) => ({
    topic: e.topic,
    type: e.type,
    rooms: eventRooms(e),
    data: e.data,
    subject: e.subject ?? null,
    actor_id: e.actor ?? null,
  }));
  await sql`/* prepare:append-events */
    insert into event_log (topic, type, rooms, data, subject, actor_id)
    select e.topic, e.type, e.rooms, e.data, e.subject, e.actor_id
    from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb)
      as e (topic text, type text, rooms text[], data jsonb, subject uuid, actor_id uuid)`.execute(trx);
}

export const appendEvent = <T extends PushType>(trx: Trx, event: NewEvent<T>): Promise<void> =>
  appendEvents(trx, [event as NewEvent]);

/**
 * What a redacted event's `data` becomes: the row keeps its seq, type and rooms (the log stays whole, later
 * events stay where they were), but neither the relay nor `resume` sends it: there is nothing left to show.
 */
const REDACTED = { redacted: true } as const;

export const isRedacted = (data: unknown): boolean =>
  typeof data === 'object' && data !== null && (data as { redacted?: unknown }).redacted === true;

/**
 * Blanks, in the deleting transaction, every logged event about these posts or comments (relayed or not):
 * a replay from before the deletion gets only the deletion. Uses the subject index: the cost is the
 * number of such events, not the size of the log.
 */
export async function redactEventsAbout(
  trx: Trx,
  subjects: readonly string[] | RawBuilder<string[]>,
): Promise<void> {
  const list = Array.isArray(subjects)
    ? sql`${sql.val([...subjects])}::uuid[]`
    : (subjects as RawBuilder<string[]>);
  await sql`
    update event_log set data = ${JSON.stringify(REDACTED)}::jsonb
    where subject = any(${list}) and data <> ${JSON.stringify(REDACTED)}::jsonb`.execute(trx);
}

export interface RelayPosition {
  assignedSeq: number;
  emittedSeq: number;
  prunedSeq: number;
}

export async function readRelayPosition(db: Executor): Promise<RelayPosition> {
  const row = await db
    .selectFrom('relay_state')
    .select(['assigned_seq', 'emitted_seq', 'pruned_seq'])
    .executeTakeFirstOrThrow();
  return { assignedSeq: row.assigned_seq, emittedSeq: row.emitted_seq, prunedSeq: row.pruned_seq };
}

/** Deletes relayed events older than the retention and records how far resume can still reach. */
export async function pruneEventLog(db: Executor, retentionHours: number): Promise<number> {
  const result = await sql<{ deleted: number }>`
    with gone as (
      delete from event_log
      where seq is not null
        and seq <= (select emitted_seq from relay_state)
        and created_at < now() - make_interval(hours => ${retentionHours})
      returning seq
    )
    update relay_state set pruned_seq = greatest(pruned_seq, (select coalesce(max(seq), 0) from gone))
    returning (select count(*) from gone) as deleted`.execute(db);
  return result.rows[0]?.deleted ?? 0;
}
