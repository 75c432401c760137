// Table types for Kysely. One interface per table; features add theirs as their migrations land.
import type { ColumnType, Generated, Insertable, Selectable } from 'kysely';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;

export interface EventLogTable {
  id: Generated<number>;
  seq: number | null;
  topic: string;
  type: string;
  rooms: string[];
  data: ColumnType<unknown, string, string>;
  created_at: Generated<Timestamp>;
}

export interface RelayStateTable {
  singleton: Generated<boolean>;
  assigned_seq: number;
  emitted_seq: number;
  pruned_seq: number;
}

export interface Database {
  event_log: EventLogTable;
  relay_state: RelayStateTable;
}

export type EventLogRow = Selectable<EventLogTable>;
export type NewEventLogRow = Insertable<EventLogTable>;
