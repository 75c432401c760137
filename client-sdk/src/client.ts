// createClient(): typed methods for every REST route and live subscriptions, over one server URL.
import { type CaptchaChallenge, solveCaptcha } from './captcha.ts';
import { type HttpOptions, HttpTransport, pageQuery, segment } from './http.ts';
import type {
  CreateEventInput,
  LoginInput,
  MintInput,
  PageOptions,
  RegisterInput,
  TransferInput,
  UpdateEventInput,
  UpdateProfileInput,
} from './inputs.ts';
import { LiveConnection as Live, type LiveConnection, type LiveOptions } from './live.ts';
import { type UploadOptions, uploadMedia } from './media.ts';
import type {
  AdminUser,
  AnyPush,
  AuditEntry,
  Comment,
  DataExport,
  Event,
  Instance,
  Me,
  Media,
  MediaUpload,
  Notification,
  Page,
  ParticipationStatus,
  Post,
  PresenceSnapshot,
  PresenceStats,
  PushEnvelope,
  PushType,
  Report,
  ReportAction,
  ReportCategory,
  ReportTargetType,
  Role,
  SecurityEvent,
  Transfer,
  User,
  UserRef,
  Wallet,
} from './protocol.ts';

/** `POST /reports` and the `report:create` command. */
export interface ReportInput {
  target: { type: ReportTargetType; id: string };
  category: ReportCategory;
  comment?: string;
}

/** Query parameters without the unset ones. */
const definedOnly = (values: Record<string, string | undefined>): Record<string, string> =>
  Object.fromEntries(
    Object.entries(values).filter((entry): entry is [string, string] => entry[1] !== undefined),
  );

export interface ClientOptions extends HttpOptions {
  /** Options for the live connection (transports, onGap, …). */
  live?: Omit<LiveOptions, 'url' | 'token'>;
}

export interface SessionResult {
  user: Me;
  token: string;
  expiresAt: string;
}

export interface SessionInfo {
  id: string;
  createdAt: string;
  lastSeenAt: string;
  userAgent: string;
  current: boolean;
}

export interface Participation {
  status: ParticipationStatus | null;
  goingCount: number;
  waitlistCount: number;
}

export interface Participant {
  user: UserRef;
  status: ParticipationStatus;
  joinedAt: string;
}

export interface AdminStats {
  users: number;
  posts: number;
  events: number;
  sockets: number;
  queues: Record<string, { waiting: number; active: number; delayed: number; failed: number }>;
}

/** A page plus the seq its snapshot was read at. */
export type Snapshot<T> = Page<T> & { seq: number };

export type PushHandlers = {
  [T in PushType]?: (data: PushEnvelope<T>['data'], push: PushEnvelope<T>) => void;
};

export class PlazaClient {
  readonly http: HttpTransport;
  private liveConnection: LiveConnection | null = null;

  private readonly options: ClientOptions;

  constructor(options: ClientOptions) {
    this.options = options;
    this.http = new HttpTransport(options);
  }

  /** Uses this session token from now on (REST at once; the live connection on its next connect). */
  setToken(token: string | undefined): void {
    this.http.token = token;
  }

  private async page<T>(path: string, page?: PageOptions, extra: Record<string, string | boolean> = {}) {
    const res = await this.http.request<Page<T>>('GET', path, { query: { ...pageQuery(page), ...extra } });
    return { ...res.data, seq: res.seq ?? 0 } as Snapshot<T>;
  }

  // ---- accounts ----
  readonly auth = {
    captcha: () => this.http.get<CaptchaChallenge>('/auth/captcha'),
    /** Fetches and solves a challenge: the value for `captcha`. */
    solveCaptcha: async () => solveCaptcha(await this.auth.captcha()),
    register: async (input: RegisterInput) =>
      this.http.send<{ user: Me }>('POST', '/auth/register', {
        ...input,
        captcha: input.captcha ?? (await this.auth.solveCaptcha()),
      }),
    verifyEmail: (email: string, code: string) => this.signIn('/auth/verify-email', { email, code }),
    resendVerification: (email: string) =>
      this.http.send<null>('POST', '/auth/verify-email/resend', { email }),
    login: async (input: LoginInput) =>
      this.signIn('/auth/login', { ...input, captcha: input.captcha ?? (await this.auth.solveCaptcha()) }),
    requestLoginCode: async (email: string, captcha?: string) =>
      this.http.send<null>('POST', '/auth/login-code', {
        email,
        captcha: captcha ?? (await this.auth.solveCaptcha()),
      }),
    verifyLoginCode: (email: string, code: string) => this.signIn('/auth/login-code/verify', { email, code }),
    forgotPassword: async (email: string, captcha?: string) =>
      this.http.send<null>('POST', '/auth/password/forgot', {
        email,
        captcha: captcha ?? (await this.auth.solveCaptcha()),
      }),
    resetPassword: (token: string, password: string) =>
      this.http.send<null>('POST', '/auth/password/reset', { token, password }),
    logout: async () => {
      await this.http.send<null>('POST', '/auth/logout');
      this.setToken(undefined);
    },
    sessions: () => this.http.get<{ items: SessionInfo[] }>('/auth/sessions'),
    revokeSession: (id: string) => this.http.send<null>('DELETE', `/auth/sessions/${segment(id)}`),
  };

  private async signIn(path: string, body: unknown): Promise<SessionResult> {
    const result = await this.http.send<SessionResult>('POST', path, body);
    this.setToken(result.token);
    return result;
  }

  /** `client.me()` is the signed-in user; its methods change them (operationIds `me…`). */
  readonly me = Object.assign(() => this.http.get<Me>('/me'), {
    /** One of your `ready`, unattached media becomes your avatar; the previous one is deleted. */
    setAvatar: (mediaId: string) => this.http.send<Me>('PUT', '/me/avatar', { mediaId }),
    deleteAvatar: () => this.http.send<Me>('DELETE', '/me/avatar'),
    /** The users you block, newest first. */
    blocks: (page?: PageOptions) => this.page<User>('/me/blocks', page),
    /** The users you mute, newest first, with when each mute ends. */
    mutes: (page?: PageOptions) => this.page<User & { expiresAt: string | null }>('/me/mutes', page),
    /** Display name (1..50) and bio (≤ 500 characters, plain text); what is left out stays. */
    update: (changes: UpdateProfileInput) => this.http.send<Me>('PATCH', '/me', changes),
    /** Every other session is revoked (this one stays) and an email says so; a wrong current password is 403. */
    changePassword: (currentPassword: string, newPassword: string) =>
      this.http.send<null>('POST', '/me/password', { currentPassword, newPassword }),
    /** Emails a code to `newEmail` (202 whether or not that address already has an account). */
    changeEmail: (newEmail: string, password: string) =>
      this.http.send<null>('POST', '/me/email', { newEmail, password }),
    /** The code from the new address: the account moves there, and the old address is told. */
    verifyEmailChange: (code: string) => this.http.send<Me>('POST', '/me/email/verify', { code }),
    /** The security log, newest first. */
    security: (page?: PageOptions) => this.page<SecurityEvent>('/me/security', page),
    /** Asks for a ZIP of your data (202; once a day, 429 after); `export_ready` and an email bring the link. */
    export: () => this.http.send<DataExport>('POST', '/me/export'),
    /** Your exports of the last 7 days, newest first. */
    exports: () => this.http.get<DataExport[]>('/me/exports'),
    /** Where the archive is: the route's 302 not followed, its presigned URL (valid 5 minutes). */
    downloadExport: (exportId: string) => this.http.location(`/me/exports/${segment(exportId)}/download`),
    /** Deletes the account (202): every session ends; 409 while money, pending transfers or joined events remain. */
    delete: (password: string) => this.http.send<null>('DELETE', '/me', { password }),
  });

  // ---- social and feed ----
  readonly users = {
    get: (username: string) => this.http.get<User>(`/users/${segment(username)}`),
    posts: (username: string, page?: PageOptions) =>
      this.page<Post>(`/users/${segment(username)}/posts`, page),
    followers: (username: string, page?: PageOptions) =>
      this.page<User>(`/users/${segment(username)}/followers`, page),
    following: (username: string, page?: PageOptions) =>
      this.page<User>(`/users/${segment(username)}/following`, page),
    follow: (username: string) =>
      this.http.send<{ following: boolean; followerCount: number }>(
        'PUT',
        `/users/${segment(username)}/follow`,
      ),
    unfollow: (username: string) =>
      this.http.send<{ following: boolean; followerCount: number }>(
        'DELETE',
        `/users/${segment(username)}/follow`,
      ),
    /** Idempotent: follows end both ways and neither of you sees the other. */
    block: (username: string) =>
      this.http.send<{ blocking: boolean }>('PUT', `/users/${segment(username)}/block`),
    unblock: (username: string) =>
      this.http.send<{ blocking: boolean }>('DELETE', `/users/${segment(username)}/block`),
    /** Their posts, comments and notifications stop reaching you until `expiresAt` (ISO time) or an unmute. */
    mute: (username: string, expiresAt?: string) =>
      this.http.send<{ muting: boolean; expiresAt: string | null }>(
        'PUT',
        `/users/${segment(username)}/mute`,
        expiresAt ? { expiresAt } : {},
      ),
    unmute: (username: string) =>
      this.http.send<{ muting: boolean; expiresAt: string | null }>(
        'DELETE',
        `/users/${segment(username)}/mute`,
      ),
  };

  readonly posts = {
    /** The global feed, newest first. */
    list: (page?: PageOptions) => this.page<Post>('/posts', page),
    /** Own posts and those of followed users. */
    home: (page?: PageOptions) => this.page<Post>('/feed', page),
    get: (id: string) => this.http.get<Post>(`/posts/${segment(id)}`),
    /** `body` may be empty when `mediaIds` (your `ready`, unattached media, at most 4) are given. */
    create: (body: string, mediaIds?: string[]) =>
      this.http.send<Post>('POST', '/posts', mediaIds?.length ? { body, mediaIds } : { body }),
    update: (id: string, body: string) => this.http.send<Post>('PATCH', `/posts/${segment(id)}`, { body }),
    delete: (id: string) => this.http.send<null>('DELETE', `/posts/${segment(id)}`),
    comments: (id: string, page?: PageOptions) => this.page<Comment>(`/posts/${segment(id)}/comments`, page),
    comment: (id: string, body: string) =>
      this.http.send<Comment>('POST', `/posts/${segment(id)}/comments`, { body }),
    deleteComment: (commentId: string) => this.http.send<null>('DELETE', `/comments/${segment(commentId)}`),
    like: (id: string) =>
      this.http.send<{ liked: boolean; likeCount: number }>('PUT', `/posts/${segment(id)}/like`),
    unlike: (id: string) =>
      this.http.send<{ liked: boolean; likeCount: number }>('DELETE', `/posts/${segment(id)}/like`),
  };

  // ---- events ----
  readonly events = {
    list: (page?: PageOptions) => this.page<Event>('/events', page),
    get: (id: string) => this.http.get<Event>(`/events/${segment(id)}`),
    create: (input: CreateEventInput) => this.http.send<Event>('POST', '/events', input),
    update: (id: string, input: UpdateEventInput) =>
      this.http.send<Event>('PATCH', `/events/${segment(id)}`, input),
    cancel: (id: string) => this.http.send<Event>('POST', `/events/${segment(id)}/cancel`),
    reject: (id: string, reason: string) =>
      this.http.send<Event>('POST', `/events/${segment(id)}/reject`, { reason }),
    join: (id: string) => this.http.send<Participation>('PUT', `/events/${segment(id)}/participation`),
    leave: (id: string) => this.http.send<Participation>('DELETE', `/events/${segment(id)}/participation`),
    participants: (id: string, page?: PageOptions) =>
      this.page<Participant>(`/events/${segment(id)}/participants`, page),
  };

  // ---- media ----
  readonly media = {
    /**
     * The whole upload: create → PUT the bytes (with progress in browsers) → complete → wait until the
     * worker made it `ready` and return it; a refusal or a failed processing throws PlazaError.
     */
    upload: (file: Blob, options?: UploadOptions) =>
      uploadMedia(
        {
          http: this.http,
          fetch: this.options.fetch ?? globalThis.fetch.bind(globalThis),
          live: () => this.liveConnection,
        },
        file,
        options,
      ),
    create: (input: { contentType: string; bytes: number; description?: string }) =>
      this.http.send<{ media: Media; upload: MediaUpload }>('POST', '/media', input),
    complete: (id: string) => this.http.send<Media>('POST', `/media/${segment(id)}/complete`),
    get: (id: string) => this.http.get<Media>(`/media/${segment(id)}`),
    /** Changes the alt text. */
    update: (id: string, description: string) =>
      this.http.send<Media>('PATCH', `/media/${segment(id)}`, { description }),
    /** Only media not attached to anything. */
    delete: (id: string) => this.http.send<null>('DELETE', `/media/${segment(id)}`),
  };

  /** The instance's name, version and limits (media types and sizes…): validate before sending. */
  instance = () => this.http.get<Instance>('/instance');

  // ---- wallet ----
  readonly wallet = {
    get: () => this.http.get<Wallet>('/wallet'),
    transfers: (page?: PageOptions) => this.page<Transfer>('/wallet/transfers', page),
    /** Sends money; retrying with the same idempotency key never sends twice. */
    send: (input: TransferInput, idempotencyKey: string = crypto.randomUUID()) =>
      this.http.send<Transfer>('POST', '/transfers', input, { 'Idempotency-Key': idempotencyKey }),
    transfer: (id: string) => this.http.get<Transfer>(`/transfers/${segment(id)}`),
  };

  // ---- notifications ----
  readonly notifications = {
    list: async (options: PageOptions & { unread?: boolean } = {}) => {
      const res = await this.http.request<Page<Notification> & { unreadCount: number }>(
        'GET',
        '/notifications',
        {
          query: { ...pageQuery(options), unread: options.unread ? 'true' : undefined },
        },
      );
      return { ...res.data, seq: res.seq ?? 0 };
    },
    read: (id: string) => this.http.send<null>('POST', `/notifications/${segment(id)}/read`),
    readAll: () => this.http.send<null>('POST', '/notifications/read-all'),
  };

  // ---- moderation and admin ----
  readonly admin = {
    setRole: (username: string, role: Role) =>
      this.http.send<Me>('PUT', `/admin/users/${segment(username)}/role`, { role }),
    suspend: (username: string) => this.http.send<null>('POST', `/admin/users/${segment(username)}/suspend`),
    mint: (input: MintInput) => this.http.send<Transfer>('POST', '/admin/mint', input),
    stats: () => this.http.get<AdminStats>('/admin/stats'),
    /** The moderation queue: open reports oldest first (moderator). */
    reports: (options: PageOptions & { status?: 'open' | 'resolved' } = {}) =>
      this.page<Report>('/admin/reports', options, options.status ? { status: options.status } : {}),
    resolveReport: (id: string, action: ReportAction, note = '') =>
      this.http.send<Report>('POST', `/admin/reports/${segment(id)}/resolve`, { action, note }),
    /** The audit log, newest first (admin); `actor` is a username. */
    audit: (options: PageOptions & { actor?: string; action?: string } = {}) =>
      this.page<AuditEntry>(
        '/admin/audit',
        options,
        definedOnly({ actor: options.actor, action: options.action }),
      ),
    users: (options: PageOptions & { query?: string; role?: Role; status?: 'active' | 'suspended' } = {}) =>
      this.page<AdminUser>(
        '/admin/users',
        options,
        definedOnly({ query: options.query, role: options.role, status: options.status }),
      ),
    unsuspend: (username: string) =>
      this.http.send<null>('POST', `/admin/users/${segment(username)}/unsuspend`),
  };

  // ---- reports ----
  readonly reports = {
    /** Files a report; your open report on the same target is answered again instead of a second one. */
    create: (input: ReportInput) => this.http.send<Report>('POST', '/reports', input),
  };

  // ---- live ----
  /** The live connection, opened on first use with the current token. */
  get live(): LiveConnection {
    this.liveConnection ??= new Live({ ...this.options.live, url: this.options.url, token: this.http.token });
    return this.liveConnection;
  }

  /**
   * Follows topics with typed handlers. Pass the `seq` of a snapshot (e.g. `(await client.posts.list()).seq`)
   * to receive everything that changed after it. Handlers see each push of their types once, in `seq`
   * order, from all topics this connection follows (a post reaching both `feed` and `home` arrives once).
   * Returns a function that stops following.
   */
  async subscribe(topics: string | string[], handlers: PushHandlers, options: { since?: number } = {}) {
    const list = Array.isArray(topics) ? topics : [topics];
    const off = this.live.onPush((push: AnyPush) => {
      const handler = handlers[push.type] as ((data: unknown, push: AnyPush) => void) | undefined;
      handler?.(push.data, push);
    });
    await this.live.subscribe(
      list.filter((t) => t !== 'me'),
      options.since,
    );
    return async () => {
      off();
      await this.live.unsubscribe(list.filter((t) => t !== 'me'));
    };
  }

  /**
   * Who watches a topic (`feed`, `post:<id>`, `event:<id>`), counted across every instance, with up to 20
   * signed-in watchers. Refused like a subscribe to the same topic would be. Answers and `presence:stats`
   * pushes are not ordered with each other: a push that arrives while this is pending may be newer than
   * its answer (ask again then, as the pages do in server/pages/client/presence.ts).
   */
  presence(topic: string): Promise<PresenceSnapshot> {
    return this.live.command('presence', { topic });
  }

  /**
   * Calls `handler` with each `presence:stats` of the topics this connection follows (or of `topic` only),
   * pushed when the numbers change, at most once a second per topic. Returns a function that stops it.
   */
  onPresence(handler: (stats: PresenceStats) => void, topic?: string): () => void {
    return this.live.onPresence((stats) => {
      if (topic === undefined || stats.topic === topic) handler(stats);
    });
  }

  /** Closes the live connection. */
  close(): void {
    this.liveConnection?.close();
    this.liveConnection = null;
  }
}

export const createClient = (options: ClientOptions): PlazaClient => new PlazaClient(options);
