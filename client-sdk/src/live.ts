// The live connection: Socket.IO with the WebSocket transport first, automatic subscribe + resume
// after every (re)connect, and each push delivered once, in seq order, whatever the network did.
import { io, type ManagerOptions, type Socket, type SocketOptions } from 'socket.io-client';
import type {
  Ack,
  AnyPush,
  ClientToServerEvents,
  CommandName,
  Commands,
  ErrorPayload,
  PresenceStats,
  PushType,
  ServerToClientEvents,
} from './protocol.ts';
import { PRESENCE_STATS, PUSH_TYPES } from './protocol.ts';

export type LiveStatus = 'connecting' | 'connected' | 'reconnecting' | 'resumed' | 'gap' | 'disconnected';

export class LiveCommandError extends Error {
  readonly error: ErrorPayload;

  constructor(error: ErrorPayload) {
    super(error.message);
    this.error = error;
    this.name = 'LiveCommandError';
  }

  get code(): ErrorPayload['code'] {
    return this.error.code;
  }
}

export interface LiveOptions {
  url: string;
  /** Session token; without it the connection is anonymous and read-only. */
  token?: string;
  /** Resume from here on the first connect (e.g. the `X-Plaza-Seq` of a REST snapshot). */
  since?: number;
  transports?: Array<'websocket' | 'polling' | 'webtransport'>;
  /** Called when the server no longer has what was missed: reload by REST, then live continues. */
  onGap?: () => void;
  /**
   * Check each push's shape before delivering it, and report malformed ones through `onInvalidPush`.
   * Default: on when `NODE_ENV` is `development` (Node) — a development aid, off in production.
   */
  validatePushes?: boolean;
  onInvalidPush?: (event: string, payload: unknown) => void;
  socketOptions?: Partial<ManagerOptions & SocketOptions>;
  commandTimeoutMs?: number;
}

type PushListener = (push: AnyPush) => void;
type PresenceListener = (stats: PresenceStats) => void;
type StatusListener = (status: LiveStatus) => void;

/** How many recent seqs are remembered to drop duplicates (a replay overlapping live pushes). */
const SEEN_WINDOW = 10_000;

export class LiveConnection {
  readonly socket: Socket<ServerToClientEvents, ClientToServerEvents>;
  private readonly topics = new Set<string>();
  private readonly pushListeners = new Set<PushListener>();
  private readonly presenceListeners = new Set<PresenceListener>();
  private readonly statusListeners = new Set<StatusListener>();
  private readonly seen = new Set<number>();
  private readonly seenOrder: number[] = [];
  private floor = 0;
  private high: number;
  private resumeFrom: number | null;
  private buffering = true;
  private buffer: AnyPush[] = [];
  private everConnected = false;
  private syncing: Promise<void> | null = null;
  private statusValue: LiveStatus = 'connecting';
  private readonly validate: boolean;

  private readonly options: LiveOptions;

  constructor(options: LiveOptions) {
    this.options = options;
    this.validate = options.validatePushes ?? isDevelopment();
    this.high = options.since ?? 0;
    this.resumeFrom = options.since ?? null;
    this.socket = io(options.url, {
      transports: options.transports ?? ['websocket', 'polling'],
      auth: options.token ? { token: options.token } : {},
      withCredentials: true,
      ...options.socketOptions,
    });
    this.socket.onAny((event: string, payload: unknown) => this.receive(event, payload));
    this.socket.on('connect', () => {
      // Only this handler clears `syncing`, and only for its own sync: a sync that finishes at once
      // must not leave a settled promise behind, nor clear a newer one.
      const syncing: Promise<void> = this.sync().finally(() => {
        if (this.syncing === syncing) this.syncing = null;
      });
      this.syncing = syncing;
    });
    this.socket.on('disconnect', () => {
      this.buffering = true;
      this.setStatus(this.socket.active ? 'reconnecting' : 'disconnected');
    });
  }

  get status(): LiveStatus {
    return this.statusValue;
  }

  /** The newest seq delivered (or resumed to): resume from here after any interruption. */
  get lastSeq(): number {
    return this.high;
  }

  onPush(listener: PushListener): () => void {
    this.pushListeners.add(listener);
    return () => this.pushListeners.delete(listener);
  }

  /**
   * Presence numbers of the followed topics (`presence:stats`). They carry no seq: each is delivered as it
   * arrives, never buffered, deduplicated or replayed; the newest one for a topic is its current count.
   */
  onPresence(listener: PresenceListener): () => void {
    this.presenceListeners.add(listener);
    return () => this.presenceListeners.delete(listener);
  }

  onStatus(listener: StatusListener): () => void {
    this.statusListeners.add(listener);
    return () => this.statusListeners.delete(listener);
  }

  /** Resolves once the first connect has subscribed and resumed. */
  async ready(): Promise<void> {
    while (!this.everConnected || this.syncing) {
      if (this.syncing) await this.syncing;
      else await new Promise((resolve) => this.socket.once('connect', () => resolve(undefined)));
    }
  }

  /**
   * Follows more topics. With `since` (a snapshot's seq), what changed after that snapshot is replayed;
   * pushes already delivered on other topics are not delivered again.
   */
  async subscribe(topics: string[], since?: number): Promise<void> {
    for (const topic of topics) this.topics.add(topic);
    if (!this.socket.connected) {
      if (since !== undefined) this.resumeFrom = Math.min(this.resumeFrom ?? since, since);
      return;
    }
    await this.syncing;
    this.buffering = true;
    try {
      if (topics.length > 0) await this.command('subscribe', { topics });
      if (since !== undefined) await this.command('resume', { since });
    } finally {
      this.flush();
    }
  }

  async unsubscribe(topics: string[]): Promise<void> {
    for (const topic of topics) this.topics.delete(topic);
    if (this.socket.connected) await this.command('unsubscribe', { topics });
  }

  /** Sends a command and resolves with its ack's data, or rejects with LiveCommandError. */
  command<K extends CommandName>(name: K, input: Commands[K]['input']): Promise<Commands[K]['output']> {
    const timeout = this.options.commandTimeoutMs ?? 10_000;
    // socket.io-client cannot type an ack for a command name chosen by a type parameter; Commands is the contract.
    const socket = this.socket.timeout(timeout) as unknown as {
      emit(
        event: K,
        input: unknown,
        ack: (err: Error | null, response: Ack<Commands[K]['output']>) => void,
      ): void;
    };
    return new Promise((resolve, reject) => {
      socket.emit(name, input, (err, response) => {
        if (err) reject(err);
        else if (response.ok) resolve(response.data);
        else reject(new LiveCommandError(response.error));
      });
    });
  }

  close(): void {
    this.socket.disconnect();
    this.setStatus('disconnected');
  }

  private setStatus(status: LiveStatus): void {
    if (status === this.statusValue) return;
    this.statusValue = status;
    for (const listener of this.statusListeners) listener(status);
  }

  /** After each connect: join the topics again and replay what was missed, holding live pushes meanwhile. */
  private async sync(): Promise<void> {
    this.buffering = true;
    const reconnect = this.everConnected;
    let status: LiveStatus = reconnect ? 'resumed' : 'connected';
    try {
      if (this.topics.size > 0) await this.command('subscribe', { topics: [...this.topics] });
      const since = this.resumeFrom ?? (reconnect ? this.high : null);
      if (since !== null) {
        try {
          const { seq } = await this.command('resume', { since });
          this.high = Math.max(this.high, seq);
          this.resumeFrom = null;
        } catch (error) {
          if (!(error instanceof LiveCommandError && error.code === 'resume_gap')) throw error;
          status = 'gap';
          this.resumeFrom = null;
          this.options.onGap?.();
        }
      }
    } catch {
      // The connection dropped mid-sync: the next connect syncs again.
      return;
    } finally {
      this.everConnected = true;
    }
    this.flush();
    this.setStatus(status);
  }

  private flush(): void {
    const pending = this.buffer.sort((a, b) => a.seq - b.seq);
    this.buffer = [];
    this.buffering = false;
    for (const push of pending) this.deliver(push);
  }

  private receive(event: string, payload: unknown): void {
    if (event === PRESENCE_STATS) {
      if (isPresenceStats(payload)) for (const listener of this.presenceListeners) listener(payload);
      else if (this.validate) this.options.onInvalidPush?.(event, payload);
      return;
    }
    if (!isPush(event, payload, this.validate)) {
      if (this.validate && pushTypes.has(event)) {
        (this.options.onInvalidPush ?? ((e) => console.warn(`plaza: malformed ${e} push dropped`)))(
          event,
          payload,
        );
      }
      return;
    }
    if (this.buffering) this.buffer.push(payload);
    else this.deliver(payload);
  }

  private deliver(push: AnyPush): void {
    if (push.seq <= this.floor || this.seen.has(push.seq)) return;
    this.seen.add(push.seq);
    this.seenOrder.push(push.seq);
    if (this.seenOrder.length > SEEN_WINDOW) {
      const dropped = this.seenOrder.splice(0, this.seenOrder.length - SEEN_WINDOW);
      for (const seq of dropped) this.seen.delete(seq);
      this.floor = Math.max(this.floor, ...dropped);
    }
    this.high = Math.max(this.high, push.seq);
    for (const listener of this.pushListeners) listener(push);
  }
}

const pushTypes = new Set<string>(PUSH_TYPES);

/** Keys each push type's `data` must have (the wire contract's push table). */
const requiredData: Record<PushType, readonly string[]> = {
  'post:created': ['post'],
  'post:updated': ['post'],
  'post:deleted': ['postId'],
  'post:stats': ['postId', 'likeCount', 'commentCount'],
  'comment:created': ['comment'],
  'comment:deleted': ['commentId', 'postId'],
  'event:created': ['event'],
  'event:updated': ['event'],
  'event:cancelled': ['event'],
  'event:participation': ['eventId', 'user', 'status', 'goingCount', 'waitlistCount'],
  'notification:created': ['notification', 'unreadCount'],
  'transfer:updated': ['transfer'],
  'wallet:updated': ['balanceCents'],
  'session:revoked': ['sessionId'],
  'media:updated': ['media'],
  'report:created': ['report'],
  'report:resolved': ['report'],
};

function isPresenceStats(payload: unknown): payload is PresenceStats {
  if (typeof payload !== 'object' || payload === null) return false;
  const p = payload as Record<string, unknown>;
  return typeof p.topic === 'string' && typeof p.clients === 'number' && typeof p.users === 'number';
}

function isDevelopment(): boolean {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
  return env?.NODE_ENV === 'development';
}

function isPush(event: string, payload: unknown, strict: boolean): payload is AnyPush {
  if (!pushTypes.has(event) || typeof payload !== 'object' || payload === null) return false;
  const p = payload as Record<string, unknown>;
  const basic = typeof p.seq === 'number' && p.type === event;
  if (!basic || !strict) return basic;
  if (!Number.isInteger(p.seq) || typeof p.topic !== 'string' || typeof p.at !== 'string') return false;
  if (typeof p.data !== 'object' || p.data === null) return false;
  const data = p.data as Record<string, unknown>;
  return requiredData[event as PushType].every((key) => key in data);
}
