// Wakes the relay leader, wherever it runs, once events are committed: directly when this process
// leads, otherwise with one Redis message per turn of the event loop, however many commits it saw.
// A lost message costs only latency: the leader also polls (relay.ts).
import type { Redis } from 'ioredis';

export const relayWakeChannel = (redisPrefix: string): string => `${redisPrefix}:relay:wake`;

export interface LocalRelay {
  readonly isLeader: boolean;
  wake(): void;
}

export class RelayWaker {
  private scheduled = false;
  private local: LocalRelay | null = null;
  private readonly channel: string;

  private readonly publisher: Redis;

  constructor(publisher: Redis, redisPrefix: string) {
    this.publisher = publisher;
    this.channel = relayWakeChannel(redisPrefix);
  }

  /** The relay candidate of this process, woken without a round trip while it leads. */
  attach(relay: LocalRelay): void {
    this.local = relay;
  }

  /** For `createDb({ onEventsCommitted })`. */
  readonly eventsCommitted = (): void => {
    if (this.local?.isLeader) {
      this.local.wake();
      return;
    }
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.publisher.publish(this.channel, '').catch(() => {});
    });
  };
}

/** Subscribes the leader side: every message on the channel wakes `relay` (a no-op unless it leads). */
export function listenForWakeups(subscriber: Redis, redisPrefix: string, relay: LocalRelay): void {
  const channel = relayWakeChannel(redisPrefix);
  subscriber.on('message', (from: string) => {
    if (from === channel) relay.wake();
  });
  // Without the subscription the relay still polls; it only wakes later.
  subscriber.subscribe(channel).catch(() => {});
}
