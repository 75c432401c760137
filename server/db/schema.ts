// Table types for Kysely. One interface per table; features add theirs as their migrations land.
import type {
  EventStatus,
  NotificationType,
  ParticipationStatus,
  TransferKind,
  TransferStatus,
} from '@plaza/client/protocol';
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
  /** The post or comment whose content `data` carries; its deletion redacts the row (migration 0015). */
  subject: ColumnType<string | null, string | null | undefined, string | null>;
  /** Whose content the event carries: sockets hiding that user skip it, live and on resume (migration 0019). */
  actor_id: ColumnType<string | null, string | null | undefined, string | null>;
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
  /** null: no password (dropped at the first proof of an address verified after it was set). */
  password_hash: string | null;
  role: Generated<'member' | 'moderator' | 'admin'>;
  email_verified_at: Timestamp | null;
  suspended_at: Timestamp | null;
  created_at: DefaultTimestamp;
  /** The avatar (media attached as `avatar`), migration 0017. */
  avatar_media_id: ColumnType<string | null, string | null | undefined, string | null>;
  /** The avatar media's token (its variants' keys follow from it), kept with avatar_media_id. */
  avatar_key: ColumnType<string | null, string | null | undefined, string | null>;
  /** Plain text, ≤ 500 characters (migration 0018). */
  bio: Generated<string>;
  /** Set when the account was deleted: the row is a husk kept for the ledger (migration 0021). */
  deleted_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
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

/** migrations/0022: the user's unread notifications, changed in the statements that change them. */
export interface NotificationCountersTable {
  user_id: string;
  unread: number;
}

export interface PostsTable {
  id: string;
  author_id: string;
  body: string;
  created_at: DefaultTimestamp;
  edited_at: Timestamp | null;
  like_count: Generated<number>;
  comment_count: Generated<number>;
}

export interface CommentsTable {
  id: string;
  post_id: string;
  author_id: string;
  body: string;
  created_at: DefaultTimestamp;
}

export interface LikesTable {
  post_id: string;
  user_id: string;
  created_at: DefaultTimestamp;
}

export interface FollowsTable {
  follower_id: string;
  followee_id: string;
  created_at: DefaultTimestamp;
}

export type CodePurpose = 'verify_email' | 'login' | 'password_reset' | 'email_change';

export interface OneTimeCodesTable {
  id: string;
  user_id: string;
  purpose: CodePurpose;
  code_hash: Uint8Array;
  expires_at: Timestamp;
  created_at: DefaultTimestamp;
  /** Tries made against the code (migration 0013); dead at MAX_CODE_ATTEMPTS. */
  attempts: Generated<number>;
  /** The address an `email_change` code moves the account to (migration 0018); null for other purposes. */
  new_email: ColumnType<string | null, string | null | undefined, string | null>;
}

export type SecurityEventType =
  | 'login'
  | 'login_failed'
  | 'login_code'
  | 'password_changed'
  | 'password_reset'
  | 'email_changed'
  | 'session_revoked'
  | 'export_requested'
  | 'deletion_requested';

/** What happened to an account, from where (migration 0018); GET /me/security. */
export interface SecurityEventsTable {
  id: string;
  user_id: string;
  type: SecurityEventType;
  ip: string;
  user_agent: string;
  /** The client's IPv4 /16 or IPv6 /48, for sign-in alerts. */
  network: string;
  created_at: DefaultTimestamp;
}

export interface WalletAccountsTable {
  id: string;
  /** Null for the system issuer. */
  user_id: string | null;
  kind: 'user' | 'issuer';
  /** Maintained by the ledger trigger from the entries; never written by code. */
  balance_cents: Generated<number>;
  /** Part of the balance not spendable yet (ticket money of events not ended): the sum of open holds. */
  held_cents: Generated<number>;
  created_at: DefaultTimestamp;
}

/** Money held in an account for what it was paid for (`reference`), until released. */
export interface WalletHoldsTable {
  account_id: string;
  reference: string;
  /** While open: held now. Once released: what was released. */
  held_cents: Generated<number>;
  created_at: DefaultTimestamp;
  released_at: Timestamp | null;
  /** From transfers_settled_seq: the release's place among settlements of the same account. */
  released_seq: number | null;
}

export interface TransfersTable {
  id: string;
  kind: TransferKind;
  from_user_id: string | null;
  to_user_id: string;
  from_account_id: string;
  to_account_id: string;
  amount_cents: number;
  memo: string;
  status: Generated<TransferStatus>;
  failure_reason: string | null;
  idempotency_key: string | null;
  request_hash: string | null;
  reference: string | null;
  /** A refund's ticket (one refund per ticket); null for every other kind. */
  refund_of: string | null;
  settled_seq: number | null;
  created_at: DefaultTimestamp;
  completed_at: Timestamp | null;
}

export interface LedgerEntriesTable {
  id: Generated<number>;
  transfer_id: string;
  account_id: string;
  amount_cents: number;
  created_at: DefaultTimestamp;
}

export interface EventsTable {
  id: string;
  organizer_id: string;
  title: string;
  summary: Generated<string>;
  description: string;
  location: Generated<string>;
  starts_at: Timestamp;
  ends_at: Timestamp;
  capacity: number | null;
  price_cents: Generated<number>;
  status: Generated<EventStatus>;
  reject_reason: string | null;
  going_count: Generated<number>;
  waitlist_count: Generated<number>;
  created_at: DefaultTimestamp;
  updated_at: DefaultTimestamp;
  /** The cover (media attached as `cover`), migration 0017. */
  cover_media_id: ColumnType<string | null, string | null | undefined, string | null>;
}

export interface EventParticipantsTable {
  event_id: string;
  user_id: string;
  status: ParticipationStatus;
  /** Join order (identity, assigned under the event's row lock). */
  position: ColumnType<number, never, never>;
  joined_at: DefaultTimestamp;
  /** The `event_ticket` transfer paying for this participation (paid events only). */
  ticket_transfer_id: ColumnType<string | null, string | null | undefined, string | null>;
}

export interface EventRemindersTable {
  event_id: string;
  user_id: string;
  starts_at: Timestamp;
  notified_at: DefaultTimestamp;
  email_queued_at: Timestamp | null;
}

export type MediaStatus = 'pending_upload' | 'processing' | 'ready' | 'failed';
export type MediaAttachment = 'post' | 'cover' | 'avatar';

/** One stored WebP variant of a media. */
export interface MediaVariant {
  key: string;
  width: number;
  height: number;
}

/** What the worker wrote: display (≤ 2048) and preview (≤ 640), square avatars (400, 96), a 1600×900 cover. */
export interface MediaVariants {
  display: MediaVariant;
  preview: MediaVariant;
  avatarLarge: MediaVariant;
  avatarSmall: MediaVariant;
  cover: MediaVariant;
}

export interface MediaTable {
  id: string;
  owner_id: string;
  status: ColumnType<MediaStatus, MediaStatus | undefined, MediaStatus>;
  content_type: string;
  bytes: number;
  /** The upload's unguessable folder in the store: the original at `<key>/original`, variants beside it. */
  key: string;
  width: number | null;
  height: number | null;
  variants: ColumnType<MediaVariants | null, string | null | undefined, string | null>;
  blurhash: string | null;
  description: Generated<string>;
  failure_reason: string | null;
  attached_as: MediaAttachment | null;
  post_id: string | null;
  position: number | null;
  created_at: DefaultTimestamp;
  completed_at: Timestamp | null;
  ready_at: Timestamp | null;
  attached_at: Timestamp | null;
}

/** Keys of deleted media whose objects are still to be removed from the store (filled by a trigger). */
export interface MediaGarbageTable {
  key: string;
  queued_at: DefaultTimestamp;
}

/** A block (migration 0019): each of the two users is hidden from the other. */
export interface BlocksTable {
  blocker_id: string;
  blocked_id: string;
  created_at: DefaultTimestamp;
}

/** A mute (migration 0019): the muted user is hidden from the muter until `expires_at` (null: for good). */
export interface MutesTable {
  muter_id: string;
  muted_id: string;
  expires_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  created_at: DefaultTimestamp;
}

/** A report (migration 0020): `snapshot` is the reported content as it was when reported. */
export interface ReportsTable {
  id: string;
  reporter_id: string;
  target_type: 'post' | 'comment' | 'user' | 'event';
  target_id: string;
  /** Whose content it is (the reported user, or the author / organizer); null once that user is gone. */
  target_user_id: string | null;
  snapshot: ColumnType<unknown, string, string>;
  category: 'spam' | 'harassment' | 'illegal' | 'other';
  comment: Generated<string>;
  status: Generated<'open' | 'resolved'>;
  action: ColumnType<
    'dismiss' | 'remove_content' | 'suspend_user' | null,
    'dismiss' | 'remove_content' | 'suspend_user' | null | undefined,
    'dismiss' | 'remove_content' | 'suspend_user' | null
  >;
  note: Generated<string>;
  resolved_by: ColumnType<string | null, string | null | undefined, string | null>;
  created_at: DefaultTimestamp;
  resolved_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
}

/** One moderator's or admin's action (migration 0020): append-only, a trigger refuses UPDATE and DELETE. */
export interface AuditLogTable {
  id: string;
  actor_id: string;
  action: string;
  target_type: string;
  target_id: string;
  note: Generated<string>;
  created_at: DefaultTimestamp;
}

export type ExportStatus = 'pending' | 'ready' | 'failed';

/** A data export (migration 0021): a ZIP at `key` in the media store, removed at `expires_at`. */
export interface ExportsTable {
  id: string;
  user_id: string;
  status: ColumnType<ExportStatus, ExportStatus | undefined, ExportStatus>;
  key: string;
  bytes: ColumnType<number | null, number | null | undefined, number | null>;
  created_at: DefaultTimestamp;
  ready_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  expires_at: Timestamp;
}

/** Usernames of deleted accounts, never given out again (migration 0021). */
export interface ReservedUsernamesTable {
  username: string;
  reserved_at: DefaultTimestamp;
}

export interface Database {
  exports: ExportsTable;
  reserved_usernames: ReservedUsernamesTable;
  reports: ReportsTable;
  audit_log: AuditLogTable;
  blocks: BlocksTable;
  mutes: MutesTable;
  media: MediaTable;
  media_garbage: MediaGarbageTable;
  event_log: EventLogTable;
  relay_state: RelayStateTable;
  users: UsersTable;
  sessions: SessionsTable;
  notifications: NotificationsTable;
  notification_counters: NotificationCountersTable;
  events: EventsTable;
  event_participants: EventParticipantsTable;
  event_reminders: EventRemindersTable;
  one_time_codes: OneTimeCodesTable;
  posts: PostsTable;
  comments: CommentsTable;
  likes: LikesTable;
  follows: FollowsTable;
  wallet_accounts: WalletAccountsTable;
  transfers: TransfersTable;
  ledger_entries: LedgerEntriesTable;
  wallet_holds: WalletHoldsTable;
  security_events: SecurityEventsTable;
}

export type EventLogRow = Selectable<EventLogTable>;
export type NewEventLogRow = Insertable<EventLogTable>;
export type UserRow = Selectable<UsersTable>;
export type SessionRow = Selectable<SessionsTable>;
export type NotificationRow = Selectable<NotificationsTable>;
export type EventRow = Selectable<EventsTable>;
export type PostRow = Selectable<PostsTable>;
export type CommentRow = Selectable<CommentsTable>;
export type WalletAccountRow = Selectable<WalletAccountsTable>;
export type TransferRow = Selectable<TransfersTable>;
