// Who watches the feed, a post or an event, across every instance (API.md "Presence").
//
// Each instance knows its own watchers: the sockets in each presence topic's room (the room is the topic's
// canonical name) and the user of each. Room joins and leaves of one event-loop turn are written to Redis in
// one pipeline: per topic and instance a hash (user id → sockets, plus the socket count) that expires unless
// a heartbeat refreshes it, and the instance in the topic's set. Counting reads the topic's live hashes.
//
// Pushes go through the Socket.IO adapter to the topic's room, so each socket on any instance gets one. At
// most one per topic per PUSH_WINDOW_MS, cluster-wide: whoever wins `SET sent NX PX` counts and pushes, the
// others try again when the window ends, so the last change is always pushed. Numbers equal to the last
// pushed ones are not pushed again. Self-healing: every heartbeat rewrites this instance's hashes (a flushed
// or restarted Redis relearns them) and re-counts its topics, so a dead instance's expired hash shows up in
// the numbers within INSTANCE_TTL_MS + HEARTBEAT_MS.
import type { Redis } from 'ioredis';
import type { Logger } from '../lib/logger.ts';
import { CLIENTS_FIELD, type PresenceKeys, presenceKeys } from './presence-keys.ts';
import { PUSH_SCRIPT, SAMPLE_SCRIPT } from './presence-scripts.ts';

/** The contract's bound: at most one `presence:stats` per topic per second. */
export const PUSH_WINDOW_MS = 1_000;
/** Heartbeat and expiry: a dead instance's watchers stop counting within 20 + 5 s (the contract says 30). */
export const HEARTBEAT_MS = 5_000;
export const INSTANCE_TTL_MS = 20_000;
/** How long the last pushed numbers of a topic are remembered without anyone re-counting it. */
const LAST_TTL_MS = 120_000;
/** Signed-in watchers named by the `presence` command. */
export const SAMPLE_SIZE = 20;

export interface PresenceStats {
  topic: string;
  clients: number;
  users: number;
}

export interface PresenceOptions {
  redis: Redis;
  redisPrefix: string;
  /** This instance's name in the keys: unique per process run. */
  instanceId: string;
  /** The user of a local socket (null: anonymous), asked when the socket joins a presence room. */
  userOf: (socketId: string) => string | null;
  /** Sends the numbers to every socket in the topic's room, on every instance (through the adapter). */
  push: (stats: PresenceStats) => void;
  logger: Logger;
  /** Tests and benches shorten these; production keeps the defaults. */
  heartbeatMs?: number;
  instanceTtlMs?: number;
}

/** One topic's watchers on this instance. */
interface LocalTopic {
  /** Socket id → its user (null: anonymous). */
  sockets: Map<string, string | null>;
  /** User id → how many of its sockets watch (a user with two tabs counts once). */
  users: Map<string, number>;
  /** Users whose count changed since the last write. */
  changed: Set<string>;
}

type PushReply = [number, number, number?];

export class Presence {
  private readonly topics = new Map<string, LocalTopic>();
  /** Topics changed in this turn, written together once it ends. */
  private dirty = new Set<string>();
  private flushing: Promise<void> | null = null;
  /** Topics waiting for the end of another's push window (at most one timer per topic). */
  private readonly trailing = new Map<string, NodeJS.Timeout>();
  private heartbeatTimer: NodeJS.Timeout | null = null;
  private stopped = false;

  private readonly options: PresenceOptions;
  private readonly keys: PresenceKeys;
  private readonly ttlMs: number;

  constructor(options: PresenceOptions) {
    this.options = options;
    this.keys = presenceKeys(options.redisPrefix);
    this.ttlMs = options.instanceTtlMs ?? INSTANCE_TTL_MS;
  }

  start(): void {
    this.heartbeatTimer ??= setInterval(
      () => void this.heartbeat(),
      this.options.heartbeatMs ?? HEARTBEAT_MS,
    );
    this.heartbeatTimer.unref();
  }

  /** A local socket joined a room: counted when the room is a presence topic. */
  joined(room: string, socketId: string): void {
    if (this.stopped) return;
    let local = this.topics.get(room);
    if (!local) {
      local = { sockets: new Map(), users: new Map(), changed: new Set() };
      this.topics.set(room, local);
    }
    if (local.sockets.has(socketId)) return;
    const userId = this.options.userOf(socketId);
    local.sockets.set(socketId, userId);
    if (userId) {
      local.users.set(userId, (local.users.get(userId) ?? 0) + 1);
      local.changed.add(userId);
    }
    this.markDirty(room);
  }

  /** A local socket left a room (unsubscribe, disconnect, access withdrawn). */
  left(room: string, socketId: string): void {
    const local = this.topics.get(room);
    if (!local?.sockets.has(socketId)) return;
    const userId = local.sockets.get(socketId) ?? null;
    local.sockets.delete(socketId);
    if (userId) {
      const count = (local.users.get(userId) ?? 1) - 1;
      if (count > 0) local.users.set(userId, count);
      else local.users.delete(userId);
      local.changed.add(userId);
    }
    this.markDirty(room);
  }

  /** Writes what changed in this turn, if anything: a reader after this sees this instance's watchers. */
  async settled(): Promise<void> {
    if (this.dirty.size > 0) await this.flush();
    else await this.flushing;
  }

  /** The topic's numbers across instances and up to SAMPLE_SIZE of its signed-in watchers' ids. */
  async sample(
    topic: string,
    hidden: readonly string[],
  ): Promise<{ clients: number; users: number; ids: string[] }> {
    await this.settled();
    const reply = (await this.options.redis.eval(
      SAMPLE_SCRIPT,
      1,
      this.keys.instances(topic),
      this.keys.instancePrefix(topic),
      SAMPLE_SIZE,
      ...hidden,
    )) as Array<number | string>;
    const [clients, users, ...ids] = reply;
    return { clients: Number(clients), users: Number(users), ids: ids.map(String) };
  }

  /** Leaves the cluster's numbers: this instance's hashes go, and its topics are pushed without them. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    for (const timer of this.trailing.values()) clearTimeout(timer);
    this.trailing.clear();
    for (const [topic, local] of this.topics) {
      local.sockets.clear();
      local.users.clear();
      this.dirty.add(topic);
    }
    await this.flush().catch(() => {
      // Redis gone: the hashes expire on their own.
    });
  }

  private markDirty(topic: string): void {
    this.dirty.add(topic);
    // Once per turn: every join of a subscribe, every leave of a disconnect, batched into one write.
    if (this.dirty.size === 1 && !this.stopped) setImmediate(() => void this.flush());
  }

  private flush(): Promise<void> {
    if (this.dirty.size === 0) return this.flushing ?? Promise.resolve();
    const topics = [...this.dirty];
    this.dirty = new Set();
    const { redis, instanceId } = this.options;
    const pipeline = redis.pipeline();
    // Topics to try a push for now: not those already waiting for another push's window to end.
    const attempts: string[] = [];
    for (const topic of topics) {
      const local = this.topics.get(topic);
      if (!local) continue;
      const hash = this.keys.instance(topic, instanceId);
      if (local.sockets.size === 0) {
        this.topics.delete(topic);
        pipeline.del(hash);
        pipeline.srem(this.keys.instances(topic), instanceId);
      } else {
        const fields: string[] = [CLIENTS_FIELD, String(local.sockets.size)];
        const gone: string[] = [];
        for (const userId of local.changed) {
          const count = local.users.get(userId);
          if (count) fields.push(userId, String(count));
          else gone.push(userId);
        }
        pipeline.hset(hash, ...fields);
        if (gone.length > 0) pipeline.hdel(hash, ...gone);
        pipeline.pexpire(hash, this.ttlMs);
        pipeline.sadd(this.keys.instances(topic), instanceId);
        pipeline.pexpire(this.keys.instances(topic), this.ttlMs);
      }
      local.changed.clear();
      if (!this.trailing.has(topic)) attempts.push(topic);
    }
    this.queuePushes(pipeline, attempts);
    const run = this.execute(pipeline, attempts).catch((error: unknown) => {
      // Lost writes are rewritten whole by the next heartbeat.
      this.options.logger.warn({ err: error, topics: topics.length }, 'presence: write failed');
    });
    const tracked: Promise<void> = run.finally(() => {
      if (this.flushing === tracked) this.flushing = null;
    });
    this.flushing = tracked;
    return tracked;
  }

  private queuePushes(pipeline: ReturnType<Redis['pipeline']>, topics: readonly string[]): void {
    for (const topic of topics) {
      pipeline.eval(
        PUSH_SCRIPT,
        3,
        this.keys.instances(topic),
        this.keys.sent(topic),
        this.keys.last(topic),
        this.keys.instancePrefix(topic),
        PUSH_WINDOW_MS,
        LAST_TTL_MS,
      );
    }
  }

  /** Runs a pipeline whose last replies are PUSH_SCRIPT's for `topics`, and acts on them. */
  private async execute(pipeline: ReturnType<Redis['pipeline']>, topics: readonly string[]): Promise<void> {
    const replies = (await pipeline.exec()) ?? [];
    const pushes = replies.slice(replies.length - topics.length);
    for (const [i, [error, reply]] of pushes.entries()) {
      const topic = topics[i]!;
      if (error) {
        this.options.logger.warn({ err: error, topic }, 'presence: count failed');
        continue;
      }
      const [outcome, a, b] = reply as PushReply;
      if (outcome === 1) this.options.push({ topic, clients: a, users: b ?? 0 });
      else if (outcome === -1) this.retryAfter(topic, Math.max(a, 1));
    }
  }

  /** Tries the topic's push again once the window someone else holds has ended. */
  private retryAfter(topic: string, ms: number): void {
    if (this.trailing.has(topic) || this.stopped) return;
    const timer = setTimeout(() => {
      this.trailing.delete(topic);
      const pipeline = this.options.redis.pipeline();
      this.queuePushes(pipeline, [topic]);
      void this.execute(pipeline, [topic]).catch((error: unknown) =>
        this.options.logger.warn({ err: error, topic }, 'presence: push failed'),
      );
    }, ms + 5);
    timer.unref();
    this.trailing.set(topic, timer);
  }

  /**
   * Rewrites this instance's hashes whole and atomically (a reader never sees one half-written), refreshes
   * their expiry, and re-counts every topic it watches: a dead instance's watchers drop out of the pushes.
   */
  private async heartbeat(): Promise<void> {
    if (this.stopped || this.topics.size === 0) return;
    await this.settled();
    const { redis, instanceId } = this.options;
    const writes = redis.multi();
    const attempts: string[] = [];
    for (const [topic, local] of this.topics) {
      if (local.sockets.size === 0) continue;
      const hash = this.keys.instance(topic, instanceId);
      const fields: string[] = [CLIENTS_FIELD, String(local.sockets.size)];
      for (const [userId, count] of local.users) fields.push(userId, String(count));
      writes.del(hash);
      writes.hset(hash, ...fields);
      writes.pexpire(hash, this.ttlMs);
      writes.sadd(this.keys.instances(topic), instanceId);
      writes.pexpire(this.keys.instances(topic), this.ttlMs);
      if (!this.trailing.has(topic)) attempts.push(topic);
    }
    try {
      await writes.exec();
      const pipeline = redis.pipeline();
      this.queuePushes(pipeline, attempts);
      await this.execute(pipeline, attempts);
    } catch (error) {
      this.options.logger.warn({ err: error }, 'presence: heartbeat failed');
    }
  }
}
