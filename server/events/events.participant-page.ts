// SQL of an event's participant list with each participant's UserRef columns (avatar included).
import type { Executor } from '../db/database.ts';
import type { ParticipantRow } from './events.repository.ts';

export interface ParticipantPageRow extends Omit<ParticipantRow, 'ticket_transfer_id'> {
  username: string;
  display_name: string;
  avatar_key: string | null;
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
    .select([
      'p.user_id',
      'p.status',
      'p.position',
      'p.joined_at',
      'u.username',
      'u.display_name',
      'u.avatar_key',
    ])
    .where('p.event_id', '=', eventId);
  if (afterPosition !== null) query = query.where('p.position', '>', afterPosition);
  return query
    .orderBy('p.position', 'asc')
    .limit(limit + 1)
    .execute();
}
