// Counts post:created pushes per socket and message: unique deliveries, duplicates, latency from send.
import { randomBytes } from 'node:crypto';
import type { Socket } from 'socket.io-client';
import { Histogram } from './stats.ts';

interface PushLike {
  data?: { post?: { body?: unknown } };
}

/**
 * Each message body starts `<tag>|<index>|<sent-at ms>|`: the tag tells this round's messages from a
 * straggler of the previous one, the index finds its counter, the time gives the latency.
 */
export class DeliveryTracker {
  private tag = '';
  private sockets = 0;
  private maxMessages = 0;
  private counts = new Uint8Array(0);
  readonly latency = new Histogram();
  unique = 0;
  total = 0;
  stale = 0;
  lastAt = 0;

  begin(sockets: number, maxMessages: number): void {
    this.tag = randomBytes(4).toString('hex');
    this.sockets = sockets;
    this.maxMessages = maxMessages;
    this.counts = new Uint8Array(sockets * maxMessages);
    this.latency.reset();
    this.unique = 0;
    this.total = 0;
    this.stale = 0;
    this.lastAt = 0;
  }

  /** The body of message `i`, padded to `length` characters. */
  body(i: number, length: number): string {
    const head = `${this.tag}|${i}|${Date.now()}|`;
    return head + 'x'.repeat(Math.max(0, length - head.length));
  }

  attach(socket: Socket, index: number): void {
    socket.on('post:created', (push: PushLike) => this.record(index, push));
  }

  private record(socketIndex: number, push: PushLike): void {
    const body = push?.data?.post?.body;
    if (typeof body !== 'string') return;
    const [tag, index, sentAt] = body.split('|', 3);
    if (tag !== this.tag || socketIndex >= this.sockets) {
      this.stale++;
      return;
    }
    const i = Number(index);
    if (!(i >= 0 && i < this.maxMessages)) return;
    const now = Date.now();
    const k = socketIndex * this.maxMessages + i;
    if (this.counts[k] === 0) {
      this.unique++;
      this.latency.add(now - Number(sentAt));
    }
    if (this.counts[k]! < 255) this.counts[k]! += 1;
    this.total++;
    this.lastAt = now;
  }

  get duplicated(): number {
    return this.total - this.unique;
  }
}
