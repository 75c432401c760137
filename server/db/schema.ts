// Table types for Kysely. One interface per table; features add theirs as their migrations land.
import type { NotificationType } from '@plaza/client/protocol';
import type { ColumnType, Generated, Insertable, Selectable } from 'kysely';

type Timestamp = ColumnType<Date, Date | string, Date | string>;
/** A timestamp the database fills in (default now()) unless given. */
type DefaultTimestamp = ColumnType<Date, Date | string | undefined, Date | string>;

export interface EventLogTable {
  id: Generated<number>;
  seq: number | null;
  topic: string;
  type: string;
  rooms: string[];
  data: ColumnType<unknown, string, string>;
  created_at: DefaultTimestamp;
}

export interface RelayStateTable {
  singleton: Generated<boolean>;
  assigned_seq: number;
  emitted_seq: number;
  pruned_seq: number;
}

export interface UsersTable {
  id: string;
  email: string;
  username: string;
  display_name: string;
  password_hash: string;
  role: Generated<'member' | 'moderator' | 'admin'>;
  email_verified_at: Timestamp | null;
  suspended_at: Timestamp | null;
  created_at: DefaultTimestamp;
}

export interface SessionsTable {
  id: string;
  secret_hash: Uint8Array;
  user_id: string;
  user_agent: Generated<string>;
  created_at: DefaultTimestamp;
  last_seen_at: DefaultTimestamp;
  expires_at: Timestamp;
}

export interface NotificationsTable {
  id: string;
  user_id: string;
  type: NotificationType;
  title: string;
  body: string;
  url: string;
  dedupe_key: string | null;
  created_at: DefaultTimestamp;
  read_at: Timestamp | null;
}

export interface Database {
  event_log: EventLogTable;
  relay_state: RelayStateTable;
  users: UsersTable;
  sessions: SessionsTable;
  notifications: NotificationsTable;
}

export type EventLogRow = Selectable<EventLogTable>;
export type NewEventLogRow = Insertable<EventLogTable>;
export type UserRow = Selectable<UsersTable>;
export type SessionRow = Selectable<SessionsTable>;
export type NotificationRow = Selectable<NotificationsTable>;
