// SQL of events and their participants. Functions take `db` or `trx` first; writes expect a transaction.
import type { EventStatus, ParticipationStatus } from '@plaza/client/protocol';
import { sql } from 'kysely';
import type { Executor } from '../db/database.ts';
import type { EventRow } from '../db/schema.ts';
import type { MediaJson } from '../media/media.objects.ts';
import { mediaJsonColumns } from '../media/media.repository.ts';

/** An event with its organizer and the viewer's participation, ready to become an `Event`. */
export interface EventView extends EventRow {
  organizer_username: string;
  organizer_display_name: string;
  organizer_avatar_key: string | null;
  my_status: ParticipationStatus | null;
  /** The cover media as JSON (see mediaJsonColumns), or null. */
  cover: MediaJson | null;
}

function eventViews(db: Executor, viewerId: string | null) {
  return db
    .selectFrom('events as e')
    .innerJoin('users as o', 'o.id', 'e.organizer_id')
    .selectAll('e')
    .select([
      'o.username as organizer_username',
      'o.display_name as organizer_display_name',
      'o.avatar_key as organizer_avatar_key',
      sql<MediaJson | null>`(select ${mediaJsonColumns} from media m where m.id = e.cover_media_id)`.as(
        'cover',
      ),
      viewerId
        ? sql<ParticipationStatus | null>`(select p.status from event_participants p
            where p.event_id = e.id and p.user_id = ${viewerId})`.as('my_status')
        : sql<null>`null`.as('my_status'),
    ]);
}

export async function findEventView(
  db: Executor,
  id: string,
  viewerId: string | null,
): Promise<EventView | undefined> {
  return eventViews(db, viewerId).where('e.id', '=', id).executeTakeFirst();
}

/** Upcoming (not yet ended) published events, soonest first, after the (startsAt, id) key. */
export async function listUpcomingEvents(
  db: Executor,
  viewerId: string | null,
  after: { at: Date; id: string } | null,
  limit: number,
): Promise<EventView[]> {
  let query = eventViews(db, viewerId)
    .where('e.status', '=', 'published')
    .where('e.ends_at', '>', new Date());
  if (after) {
    query = query.where((eb) => eb(eb.refTuple('e.starts_at', 'e.id'), '>', eb.tuple(after.at, after.id)));
  }
  return query
    .orderBy('e.starts_at', 'asc')
    .orderBy('e.id', 'asc')
    .limit(limit + 1)
    .execute();
}

export type NewEventRow = Omit<
  EventRow,
  'going_count' | 'waitlist_count' | 'created_at' | 'updated_at' | 'cover_media_id'
>;

export async function insertEvent(db: Executor, row: NewEventRow): Promise<void> {
  await db.insertInto('events').values(row).execute();
}

/** The event row, locked until the transaction ends: every participation change goes through this lock. */
/** Price and organizer, read without a lock: what a join is charged before it waits for the event. */
export async function findEventPrice(
  db: Executor,
  id: string,
): Promise<Pick<EventRow, 'price_cents' | 'organizer_id'> | undefined> {
  return db
    .selectFrom('events')
    .select(['price_cents', 'organizer_id'])
    .where('id', '=', id)
    .executeTakeFirst();
}

export async function lockEvent(db: Executor, id: string): Promise<EventRow | undefined> {
  return db.selectFrom('events').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
}

export interface EventChanges {
  title?: string;
  summary?: string;
  description?: string;
  location?: string;
  starts_at?: Date;
  ends_at?: Date;
  capacity?: number | null;
  price_cents?: number;
  status?: EventStatus;
  reject_reason?: string;
  going_count?: number;
  waitlist_count?: number;
}

/**
 * Puts `mediaId` (already claimed as a cover) on the event, or none; the previous cover's row is deleted
 * (its files queued by the trigger). Returns whether a previous cover was removed.
 */
export async function replaceCover(db: Executor, eventId: string, mediaId: string | null): Promise<boolean> {
  const before = await db
    .selectFrom('events')
    .select('cover_media_id')
    .where('id', '=', eventId)
    .executeTakeFirstOrThrow();
  await db.updateTable('events').set({ cover_media_id: mediaId }).where('id', '=', eventId).execute();
  if (!before.cover_media_id || before.cover_media_id === mediaId) return false;
  await db.deleteFrom('media').where('id', '=', before.cover_media_id).execute();
  return true;
}

export async function updateEvent(db: Executor, id: string, changes: EventChanges): Promise<void> {
  await db
    .updateTable('events')
    .set({ ...changes, updated_at: new Date() })
    .where('id', '=', id)
    .execute();
}

export interface ParticipantRow {
  user_id: string;
  status: ParticipationStatus;
  position: number;
  joined_at: Date;
  ticket_transfer_id: string | null;
}

export async function findParticipant(
  db: Executor,
  eventId: string,
  userId: string,
): Promise<ParticipantRow | undefined> {
  return db
    .selectFrom('event_participants')
    .select(['user_id', 'status', 'position', 'joined_at', 'ticket_transfer_id'])
    .where('event_id', '=', eventId)
    .where('user_id', '=', userId)
    .executeTakeFirst();
}

export async function insertParticipant(
  db: Executor,
  eventId: string,
  userId: string,
  status: ParticipationStatus,
): Promise<boolean> {
  const row = await db
    .insertInto('event_participants')
    .values({ event_id: eventId, user_id: userId, status })
    .onConflict((oc) => oc.columns(['event_id', 'user_id']).doNothing())
    .returning('user_id')
    .executeTakeFirst();
  return row !== undefined;
}

export async function deleteParticipant(db: Executor, eventId: string, userId: string): Promise<void> {
  await db
    .deleteFrom('event_participants')
    .where('event_id', '=', eventId)
    .where('user_id', '=', userId)
    .execute();
}

/** The first `count` waitlisted participants in join order. */
export async function firstWaitlisted(db: Executor, eventId: string, count: number): Promise<string[]> {
  if (count <= 0) return [];
  const rows = await db
    .selectFrom('event_participants')
    .select('user_id')
    .where('event_id', '=', eventId)
    .where('status', '=', 'waitlisted')
    .orderBy('position', 'asc')
    .limit(count)
    .execute();
  return rows.map((r) => r.user_id);
}

export async function setParticipantStatus(
  db: Executor,
  eventId: string,
  userIds: readonly string[],
  status: ParticipationStatus,
): Promise<void> {
  if (userIds.length === 0) return;
  await db
    .updateTable('event_participants')
    .set({ status })
    .where('event_id', '=', eventId)
    .where('user_id', 'in', userIds)
    .execute();
}

export async function countParticipants(
  db: Executor,
  eventId: string,
  status: ParticipationStatus,
): Promise<number> {
  const row = await db
    .selectFrom('event_participants')
    .select(sql<number>`count(*)::int`.as('n'))
    .where('event_id', '=', eventId)
    .where('status', '=', status)
    .executeTakeFirstOrThrow();
  return row.n;
}

/** Ids of participants with one of `statuses`, in join order. */
export async function participantIds(
  db: Executor,
  eventId: string,
  statuses: ParticipationStatus[],
): Promise<string[]> {
  const rows = await db
    .selectFrom('event_participants')
    .select('user_id')
    .where('event_id', '=', eventId)
    .where('status', 'in', statuses)
    .orderBy('position', 'asc')
    .execute();
  return rows.map((r) => r.user_id);
}

export interface ParticipantPageRow extends Omit<ParticipantRow, 'ticket_transfer_id'> {
  username: string;
  display_name: string;
}

/** One page of participants in join order (going and waitlisted alike), after a position. */
export async function listParticipantPage(
  db: Executor,
  eventId: string,
  afterPosition: number | null,
  limit: number,
): Promise<ParticipantPageRow[]> {
  let query = db
    .selectFrom('event_participants as p')
    .innerJoin('users as u', 'u.id', 'p.user_id')
    .select(['p.user_id', 'p.status', 'p.position', 'p.joined_at', 'u.username', 'u.display_name'])
    .where('p.event_id', '=', eventId);
  if (afterPosition !== null) query = query.where('p.position', '>', afterPosition);
  return query
    .orderBy('p.position', 'asc')
    .limit(limit + 1)
    .execute();
}

export interface UserRefRow {
  id: string;
  username: string;
  display_name: string;
}

export async function findUserRef(db: Executor, userId: string): Promise<UserRefRow | undefined> {
  return db
    .selectFrom('users')
    .select(['id', 'username', 'display_name'])
    .where('id', '=', userId)
    .executeTakeFirst();
}
