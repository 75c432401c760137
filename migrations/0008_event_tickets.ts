// Paid tickets: a participation of a paid event points at the `event_ticket` transfer that pays for it.
// The status CHECK of 0007 already allows 'pending_payment'; this only links participations to transfers.
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  // The ticket of the current attempt (a re-join or a promotion buys a new one); null on free events.
  // Unique: one transfer never pays for two participations.
  await sql`alter table event_participants
    add column ticket_transfer_id uuid unique references transfers (id)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`alter table event_participants drop column ticket_transfer_id`.execute(db);
}
