// The wire contract of Plaza (API.md) as types: objects, errors, socket commands and pushes.
// The server imports these to type its routes and Socket.IO server; the SDK builds on them.

export type ErrorCode =
  | 'validation_failed'
  | 'invalid_json'
  | 'captcha_failed'
  | 'invalid_code'
  | 'unauthenticated'
  | 'invalid_credentials'
  | 'forbidden'
  | 'email_not_verified'
  | 'not_found'
  | 'conflict'
  | 'idempotency_conflict'
  | 'resume_gap'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'rate_limited'
  | 'internal'
  | 'unavailable';

export interface ErrorPayload {
  code: ErrorCode;
  message: string;
  details?: Record<string, unknown>;
}

export interface ErrorBody {
  error: ErrorPayload;
}

export type Ack<T> = { ok: true; data: T } | { ok: false; error: ErrorPayload };

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export type Role = 'member' | 'moderator' | 'admin';

export interface UserRef {
  id: string;
  username: string;
  displayName: string;
  /** The 96 px square avatar; null when the user has none (show initials). */
  avatarUrl: string | null;
}

export interface User extends UserRef {
  /** Square avatar URLs, 96 and 400 px; null when the user has none. */
  avatar: { small: string; large: string } | null;
  /** Plain text, at most 500 characters; '' when none. */
  bio: string;
  createdAt: string;
  followerCount: number;
  followingCount: number;
  followedByMe: boolean;
  /** Whether you block this user: on a single profile (`users.get`) when signed in. */
  blockedByMe?: boolean;
  /** Whether you mute this user now: on a single profile (`users.get`) when signed in. */
  mutedByMe?: boolean;
}

export interface Me extends User {
  email: string;
  emailVerified: boolean;
  role: Role;
}

export type MediaStatus = 'pending_upload' | 'processing' | 'ready' | 'failed';

/** An uploaded image and, once `ready`, its public variants (API.md "Media"). */
export interface Media {
  id: string;
  status: MediaStatus;
  contentType: string;
  bytes: number;
  /** Of the display variant (longest side ≤ 2048 px); null until ready. */
  width: number | null;
  height: number | null;
  /** The display variant (WebP); null until ready. */
  url: string | null;
  /** Longest side ≤ 640 px (WebP); null until ready. */
  previewUrl: string | null;
  blurhash: string | null;
  /** Alt text, ≤ 1,500 characters. */
  description: string;
  /** Why processing failed, in words ("larger than 40 megapixels"); null unless failed. */
  failureReason: string | null;
  createdAt: string;
}

/** `POST /media`: where and how to upload the file (a presigned PUT sending exactly these headers). */
export interface MediaUpload {
  method: 'PUT';
  url: string;
  headers: Record<string, string>;
  expiresAt: string;
}

/** `GET /instance`: what a client validates before sending. */
export interface Instance {
  name: string;
  version: string;
  currency: string;
  limits: {
    postChars: number;
    commentChars: number;
    mediaPerPost: number;
    mediaMaxBytes: number;
    mediaMaxPixels: number;
    mediaTypes: string[];
    bioChars: number;
  };
  features: string[];
}

export interface Post {
  id: string;
  author: UserRef;
  body: string;
  /** Ready media in the order attached, at most 4; `body` may be empty when this is not. */
  media: Media[];
  createdAt: string;
  editedAt: string | null;
  likeCount: number;
  commentCount: number;
  likedByMe: boolean;
}

export interface Comment {
  id: string;
  postId: string;
  author: UserRef;
  body: string;
  createdAt: string;
}

export type EventStatus = 'published' | 'cancelled' | 'rejected';
export type ParticipationStatus = 'going' | 'waitlisted' | 'pending_payment';

export interface Event {
  id: string;
  organizer: UserRef;
  title: string;
  summary: string;
  description: string;
  location: string;
  startsAt: string;
  endsAt: string;
  capacity: number | null;
  priceCents: number;
  status: EventStatus;
  goingCount: number;
  waitlistCount: number;
  myStatus: ParticipationStatus | null;
  /** The 1600×900 cover; its `url` is the cover crop. */
  cover: Media | null;
}

export type NotificationType =
  | 'comment'
  | 'like'
  | 'follow'
  | 'event_reminder'
  | 'event_promoted'
  | 'event_cancelled'
  | 'transfer_received'
  | 'transfer_failed'
  | 'report_resolved'
  | 'new_sign_in'
  | 'export_ready';

export interface Notification {
  id: string;
  type: NotificationType;
  title: string;
  body: string;
  url: string;
  createdAt: string;
  readAt: string | null;
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

/** One entry of `GET /me/security`: what happened to the account, when, and from where. */
export interface SecurityEvent {
  type: SecurityEventType;
  at: string;
  ip: string;
  userAgent: string;
}

/** A data export (`POST /me/export`, `GET /me/exports`): a ZIP built by a worker, kept 7 days. */
export interface DataExport {
  id: string;
  status: 'pending' | 'ready' | 'failed';
  bytes: number | null;
  createdAt: string;
  readyAt: string | null;
  expiresAt: string;
  /** `/api/v1/me/exports/<id>/download` once ready: a 302 to the archive (signed in). */
  downloadUrl: string | null;
}

export type ReportTargetType = 'post' | 'comment' | 'user' | 'event';
export type ReportCategory = 'spam' | 'harassment' | 'illegal' | 'other';
export type ReportAction = 'dismiss' | 'remove_content' | 'suspend_user';

/** The reported content as it was when reported: the evidence outlives the content. */
export interface ReportSnapshot {
  /** Whose content it is (the reported user themself for a user); null if unknown. */
  author: UserRef | null;
  /** An event's title; null for the others. */
  title: string | null;
  /** The words reported: a post's or comment's body, a profile's bio, an event's description. */
  text: string;
  /** Where it lived in the pages. */
  url: string;
  createdAt: string | null;
}

export interface Report {
  id: string;
  reporter: UserRef;
  target: { type: ReportTargetType; id: string; snapshot: ReportSnapshot };
  category: ReportCategory;
  comment: string;
  status: 'open' | 'resolved';
  action: ReportAction | null;
  note: string;
  resolvedBy: UserRef | null;
  createdAt: string;
  resolvedAt: string | null;
}

/** One moderator's or admin's action, as `GET /admin/audit` lists it. */
export interface AuditEntry {
  id: string;
  actor: UserRef;
  /** `role_change`, `suspend`, `unsuspend`, `reject_event`, `cancel_event`, `remove_post`, `remove_comment`, `report_dismiss`, `report_remove_content`, `report_suspend_user`. */
  action: string;
  target: { type: string; id: string };
  note: string;
  at: string;
}

/** A row of `GET /admin/users`. */
export interface AdminUser {
  user: User;
  email: string;
  role: Role;
  status: 'active' | 'suspended';
  createdAt: string;
  lastSeenAt: string | null;
  openReports: number;
}

export type TransferKind = 'transfer' | 'event_ticket' | 'refund' | 'mint';
export type TransferStatus = 'pending' | 'completed' | 'failed';

export interface Transfer {
  id: string;
  kind: TransferKind;
  from: UserRef | null;
  to: UserRef;
  amountCents: number;
  memo: string;
  status: TransferStatus;
  failureReason: string | null;
  createdAt: string;
  completedAt: string | null;
}

/** `GET /wallet`. `heldCents` (an addition to the contract) is the part of the balance not spendable yet:
 * ticket money of the user's events that have not ended, kept so that refunds are always paid. */
export interface Wallet {
  balanceCents: number;
  heldCents: number;
  currency: string;
}

// ---- Live: pushes ----

/** `data` of each push type, by its Socket.IO event name. */
export interface PushData {
  'post:created': { post: Post };
  'post:updated': { post: Post };
  'post:deleted': { postId: string };
  'post:stats': { postId: string; likeCount: number; commentCount: number };
  'comment:created': { comment: Comment };
  'comment:deleted': { commentId: string; postId: string };
  'event:created': { event: Event };
  'event:updated': { event: Event };
  'event:cancelled': { event: Event };
  'event:participation': {
    eventId: string;
    user: UserRef;
    status: ParticipationStatus | null;
    goingCount: number;
    waitlistCount: number;
  };
  'notification:created': { notification: Notification; unreadCount: number };
  'transfer:updated': { transfer: Transfer };
  'wallet:updated': { balanceCents: number };
  'session:revoked': { sessionId: string };
  'media:updated': { media: Media };
  'report:created': { report: Report };
  'report:resolved': { report: Report };
}

export type PushType = keyof PushData;

export interface PushEnvelope<T extends PushType = PushType> {
  /** Cluster-wide, increasing in commit order; resume from the last one seen. */
  seq: number;
  topic: string;
  type: T;
  at: string;
  data: PushData[T];
}

export type AnyPush = { [T in PushType]: PushEnvelope<T> }[PushType];

export const PUSH_TYPES: readonly PushType[] = [
  'post:created',
  'post:updated',
  'post:deleted',
  'post:stats',
  'comment:created',
  'comment:deleted',
  'event:created',
  'event:updated',
  'event:cancelled',
  'event:participation',
  'notification:created',
  'transfer:updated',
  'wallet:updated',
  'session:revoked',
  'media:updated',
  'report:created',
  'report:resolved',
];

// ---- Live: presence (ephemeral: no seq, never replayed) ----

/** Answer of the `presence { topic }` command: counted across every instance. */
export interface PresenceSnapshot {
  /** Sockets subscribed to the topic, signed in or not. */
  clients: number;
  /** Distinct signed-in users among them. */
  users: number;
  /** Up to 20 of those users, leaving out anyone the caller blocks, is blocked by, or mutes. */
  sample: UserRef[];
}

/**
 * Payload of the `presence:stats` Socket.IO event, sent to a topic's subscribers when its numbers change, at
 * most once a second per topic. Not an envelope: it has no `seq`, is not in the event log, and `resume` does
 * not replay it (ask `presence` for the current numbers instead).
 */
export interface PresenceStats {
  topic: string;
  clients: number;
  users: number;
}

export const PRESENCE_STATS = 'presence:stats';

// ---- Live: commands (client → server, each with an ack) ----

export interface Commands {
  subscribe: { input: { topics: string[] }; output: { seq: number } };
  unsubscribe: { input: { topics: string[] }; output: { seq: number } };
  resume: { input: { since: number }; output: { seq: number } };
  presence: { input: { topic: string }; output: PresenceSnapshot };
  'post:create': { input: { body: string }; output: Post };
  'post:update': { input: { id: string; body: string }; output: Post };
  'post:delete': { input: { id: string }; output: null };
  'comment:create': { input: { postId: string; body: string }; output: Comment };
  'comment:delete': { input: { id: string }; output: null };
  'post:like': { input: { postId: string }; output: { liked: boolean; likeCount: number } };
  'post:unlike': { input: { postId: string }; output: { liked: boolean; likeCount: number } };
  'user:follow': { input: { username: string }; output: { following: boolean; followerCount: number } };
  'user:unfollow': { input: { username: string }; output: { following: boolean; followerCount: number } };
  'user:block': { input: { username: string }; output: { blocking: boolean } };
  'user:unblock': { input: { username: string }; output: { blocking: boolean } };
  'user:mute': {
    input: { username: string; expiresAt?: string };
    output: { muting: boolean; expiresAt: string | null };
  };
  'user:unmute': { input: { username: string }; output: { muting: boolean; expiresAt: string | null } };
  'event:join': {
    input: { eventId: string };
    output: { status: ParticipationStatus | null; goingCount: number; waitlistCount: number };
  };
  'event:leave': {
    input: { eventId: string };
    output: { status: null; goingCount: number; waitlistCount: number };
  };
  'transfer:create': {
    input: { to: string; amountCents: number; memo?: string; idempotencyKey: string };
    output: Transfer;
  };
  'notification:read': { input: { id: string }; output: null };
  'report:create': {
    input: { target: { type: ReportTargetType; id: string }; category: ReportCategory; comment?: string };
    output: Report;
  };
}

export type CommandName = keyof Commands;

export type ClientToServerEvents = {
  [K in CommandName]: (
    input: Commands[K]['input'],
    ack: (response: Ack<Commands[K]['output']>) => void,
  ) => void;
};

export type ServerToClientEvents = {
  [T in PushType]: (envelope: PushEnvelope<T>) => void;
} & { 'presence:stats': (stats: PresenceStats) => void };

/** Header carrying the newest relayed `seq` read before a GET's data (snapshot → stream). */
export const SEQ_HEADER = 'X-Plaza-Seq';
