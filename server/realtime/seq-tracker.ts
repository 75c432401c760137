// The newest emitted seq, known in memory on every instance: the leader announces each batch on a
// Redis channel, and a periodic read from PostgreSQL bounds the staleness if an announcement is lost.
// A value that lags is always safe for snapshots (the client replays a little more); it never leads,
// because the leader announces only what it has emitted (handed to the adapter). The database's
// emitted_seq may trail the announcements by one batch (the relay records it with the next
// assignment); the tracker only moves forward, so that lag never shows.
import type { Redis } from 'ioredis';
import type { Db } from '../db/database.ts';
import { readRelayPosition } from './event-log.ts';

const REFRESH_MS = 5_000;

export class SeqTracker {
  private known = 0;
  private loaded = false;
  private initialized: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private readonly channel: string;

  private readonly db: Db;
  private readonly subscriber: Redis;
  private readonly publisher: Redis;

  constructor(db: Db, subscriber: Redis, publisher: Redis, redisPrefix: string) {
    this.db = db;
    this.subscriber = subscriber;
    this.publisher = publisher;
    this.channel = `${redisPrefix}:relay:emitted`;
  }

  async start(): Promise<void> {
    this.subscriber.on('message', (channel: string, message: string) => {
      if (channel === this.channel) this.advance(Number(message));
    });
    // A missing subscription only slows freshness down to the periodic refresh.
    this.subscriber.subscribe(this.channel).catch(() => {});
    this.timer = setInterval(() => void this.refresh().catch(() => {}), REFRESH_MS);
    this.timer.unref();
    this.initialized = this.refresh().catch(() => {});
    await this.initialized;
    this.initialized = null;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** The newest seq known to be emitted (never ahead of the truth). */
  async current(): Promise<number> {
    // Until the first read from PostgreSQL succeeded, a 0 would mean "unknown", not "nothing yet".
    if (!this.loaded) await (this.initialized ?? this.refresh()).catch(() => {});
    return this.known;
  }

  /** Called by the leading relay after it recorded a batch as emitted. */
  announce(seq: number): void {
    this.advance(seq);
    this.publisher.publish(this.channel, String(seq)).catch(() => {});
  }

  private advance(seq: number): void {
    if (Number.isFinite(seq) && seq > this.known) this.known = seq;
  }

  private async refresh(): Promise<void> {
    this.advance((await readRelayPosition(this.db)).emittedSeq);
    this.loaded = true;
  }
}
