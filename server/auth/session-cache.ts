// Validated sessions kept in memory for a few seconds, so an authenticated request costs no database
// round trip; revocations reach every instance's copy at once through Redis.
//
// Why this stays correct:
// - Whatever revokes a session or changes what it says (logout, revoking one, password reset,
//   suspension, a role change) calls `forget()` after its transaction commits and before it answers:
//   this instance drops the entries, and every other one does on the Redis message that `forget()`
//   has handed to Redis by then.
// - A validation that read the database before a `forget()` arrived and finishes after it is not kept
//   (the epoch moved), so a revoked session is never put back.
// - `forget()` resolves only once every instance that received the message (PUBLISH says how many) has
//   acknowledged dropping the entries, or after FORGET_ACK_TIMEOUT_MS: handing the message to Redis is
//   not enough, since the next request may reach another instance before its subscriber has read it
//   (a loaded box delivers loopback data late).
// - While the subscription is down (messages could be lost) the cache is bypassed; when it is back the
//   cache starts empty. So a lost message never leaves a revoked session usable. A `forget()` whose
//   own publish failed is repeated by the relay leader when it delivers the revocation's
//   `session:revoked` event, or the role change's internal event (instance.ts).
import { createHash, randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Logger } from '../lib/logger.ts';
import type { ValidSession } from './sessions.ts';

export const DEFAULT_SESSION_CACHE_TTL_MS = 30_000;
const MAX_ENTRIES = 50_000;
/**
 * How long a forget waits for every instance's acknowledgement. An instance stalled longer than this is
 * logged and not waited for: its copy still goes when the message is read, and within the TTL anyway.
 */
export const FORGET_ACK_TIMEOUT_MS = 2_000;

export interface SessionChange {
  sessionIds?: readonly string[];
  userIds?: readonly string[];
}

interface Entry {
  /** Digest of the whole token: a hit proves the secret as the database lookup would. */
  digest: string;
  session: ValidSession;
  expiresAt: number;
}

export const sessionsForgetChannel = (redisPrefix: string): string => `${redisPrefix}:sessions:forget`;
/** Where instances acknowledge a forget (by its id) once they have dropped the entries. */
export const sessionsForgottenChannel = (redisPrefix: string): string => `${redisPrefix}:sessions:forgotten`;

/**
 * Tells every instance to forget sessions (the CLI uses this without a cache of its own). Returns how
 * many subscribers received it; `id` names the message for their acknowledgements.
 */
export async function announceForgotten(
  redis: Redis,
  redisPrefix: string,
  change: SessionChange,
  id?: string,
): Promise<number> {
  const message = JSON.stringify({
    s: change.sessionIds ?? [],
    u: change.userIds ?? [],
    ...(id ? { i: id } : {}),
  });
  return redis.publish(sessionsForgetChannel(redisPrefix), message);
}

interface PendingForget {
  acks: number;
  expected: number;
  done: () => void;
}

export interface SessionCacheOptions {
  publisher: Redis;
  subscriber: Redis;
  redisPrefix: string;
  logger: Logger;
  ttlMs?: number;
}

export class SessionCache {
  /** By session id; a Map iterates in insertion order, so the first is the oldest. */
  private readonly entries = new Map<string, Entry>();
  /** Session ids by user, so that forgetting a user costs their sessions, not a scan of all. */
  private readonly byUser = new Map<string, Set<string>>();
  private readonly channel: string;
  private readonly ackChannel: string;
  /** Forgets of this instance waiting for acknowledgements, by message id. */
  private readonly pending = new Map<string, PendingForget>();
  private subscribed = false;
  /** Moves on every forget and every loss of the subscription; see `begin()`. */
  private epoch = 0;

  private readonly options: SessionCacheOptions;

  constructor(options: SessionCacheOptions) {
    this.options = options;
    this.channel = sessionsForgetChannel(options.redisPrefix);
    this.ackChannel = sessionsForgottenChannel(options.redisPrefix);
  }

  private get ttlMs(): number {
    return this.options.ttlMs ?? DEFAULT_SESSION_CACHE_TTL_MS;
  }

  /**
   * Subscribes in the background: until the subscription is confirmed (again, after a reconnect) nothing
   * is served from memory, so an instance started while Redis is away simply validates every request.
   */
  start(): void {
    const { subscriber } = this.options;
    subscriber.on('message', (channel: string, message: string) => {
      if (channel === this.channel) this.apply(message);
      else if (channel === this.ackChannel) this.acknowledged(message);
    });
    const lost = () => {
      this.subscribed = false;
      this.clear();
    };
    subscriber.on('close', lost);
    subscriber.on('reconnecting', lost);
    subscriber.on('end', lost);
    subscriber.on('ready', () => void this.subscribe());
    void this.subscribe();
  }

  private async subscribe(): Promise<void> {
    try {
      await this.options.subscriber.subscribe(this.channel, this.ackChannel);
      this.clear();
      this.subscribed = this.options.subscriber.status === 'ready';
    } catch {
      this.subscribed = false;
    }
  }

  /** A token for the lookup that follows a miss: `remember()` keeps its result only if nothing was forgotten since. */
  begin(): number {
    return this.epoch;
  }

  lookup(token: string): ValidSession | undefined {
    if (!this.subscribed || this.ttlMs <= 0) return undefined;
    const sessionId = sessionIdOf(token);
    const entry = this.entries.get(sessionId);
    if (!entry || entry.digest !== digestOf(token)) return undefined;
    const now = Date.now();
    if (entry.expiresAt <= now || entry.session.expiresAt.getTime() <= now) {
      this.delete(sessionId);
      return undefined;
    }
    return entry.session;
  }

  remember(token: string, session: ValidSession, epoch: number): void {
    if (!this.subscribed || this.ttlMs <= 0 || epoch !== this.epoch) return;
    const { sessionId, userId } = session.actor;
    this.delete(sessionId);
    if (this.entries.size >= MAX_ENTRIES) {
      // The oldest first: an idle session is the cheapest to reload.
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.delete(oldest);
    }
    this.entries.set(sessionId, {
      digest: digestOf(token),
      session: { ...session, refreshed: false },
      expiresAt: Date.now() + this.ttlMs,
    });
    const sessions = this.byUser.get(userId);
    if (sessions) sessions.add(sessionId);
    else this.byUser.set(userId, new Set([sessionId]));
  }

  /**
   * After a commit that revoked or changed sessions: forgotten here at once, and on every instance by the
   * time this resolves (each acknowledges the message; see FORGET_ACK_TIMEOUT_MS).
   */
  async forget(change: SessionChange): Promise<void> {
    this.drop(change);
    const id = randomUUID();
    let resolve!: () => void;
    const acknowledged = new Promise<void>((r) => {
      resolve = r;
    });
    const pending: PendingForget = { acks: 0, expected: Number.POSITIVE_INFINITY, done: resolve };
    this.pending.set(id, pending);
    try {
      pending.expected = await announceForgotten(
        this.options.publisher,
        this.options.redisPrefix,
        change,
        id,
      );
      if (pending.acks >= pending.expected) resolve();
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<boolean>((r) => {
        timer = setTimeout(() => r(true), FORGET_ACK_TIMEOUT_MS);
      });
      const late = await Promise.race([acknowledged.then(() => false), timedOut]);
      clearTimeout(timer);
      if (late) {
        this.options.logger.warn(
          { ...change, expected: pending.expected, acknowledged: pending.acks },
          'not every instance acknowledged forgetting sessions in time; they drop them when they read it',
        );
      }
    } catch (error) {
      this.options.logger.warn(
        { err: error, ...change },
        'could not tell other instances to forget sessions; they keep them until their time to live',
      );
    } finally {
      this.pending.delete(id);
    }
  }

  private acknowledged(id: string): void {
    const pending = this.pending.get(id);
    if (!pending) return;
    pending.acks++;
    if (pending.acks >= pending.expected) pending.done();
  }

  /** True while forgets from other instances are heard (otherwise every lookup misses). */
  get listening(): boolean {
    return this.subscribed;
  }

  get size(): number {
    return this.entries.size;
  }

  private apply(message: string): void {
    let id: unknown;
    try {
      const parsed = JSON.parse(message) as { s?: unknown; u?: unknown; i?: unknown };
      id = parsed.i;
      this.drop({
        sessionIds: Array.isArray(parsed.s) ? parsed.s.map(String) : [],
        userIds: Array.isArray(parsed.u) ? parsed.u.map(String) : [],
      });
    } catch {
      // Not ours to understand: forget everything rather than keep something we were told to forget.
      this.clear();
    }
    // Dropped: the instance that forgot may answer its request now.
    if (typeof id === 'string' && id.length <= 64) {
      this.options.publisher.publish(this.ackChannel, id).catch((error: unknown) => {
        this.options.logger.warn({ err: error }, 'could not acknowledge a forget; its sender waits for it');
      });
    }
  }

  private drop(change: SessionChange): void {
    this.epoch++;
    for (const sessionId of change.sessionIds ?? []) this.delete(sessionId);
    for (const userId of change.userIds ?? []) {
      for (const sessionId of this.byUser.get(userId) ?? []) this.delete(sessionId);
    }
  }

  private delete(sessionId: string): void {
    const entry = this.entries.get(sessionId);
    if (!entry) return;
    this.entries.delete(sessionId);
    const { userId } = entry.session.actor;
    const sessions = this.byUser.get(userId);
    sessions?.delete(sessionId);
    if (sessions?.size === 0) this.byUser.delete(userId);
  }

  private clear(): void {
    this.epoch++;
    this.entries.clear();
    this.byUser.clear();
  }
}

// Entries hold a digest of the whole token (id and secret), never the token: memory never holds usable
// tokens. A lookup's digest must match, so a wrong secret for a cached session id is a miss.
const digestOf = (token: string): string => createHash('sha256').update(token).digest('base64');
const sessionIdOf = (token: string): string => token.slice(0, Math.max(0, token.indexOf('.')));
