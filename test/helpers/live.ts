// Live clients for tests: the SDK's LiveConnection, recording every push it delivers.
import { type AnyPush, LiveConnection, type LiveOptions } from '@plaza/client';
import { waitFor } from './wait.ts';

export interface Recorder {
  live: LiveConnection;
  pushes: AnyPush[];
  /** Every push event as it arrived on the wire, before deduplication. */
  raw: AnyPush[];
  waitForCount: (n: number, timeoutMs?: number) => Promise<void>;
  close: () => void;
}

export async function connectLive(options: LiveOptions & { topics?: string[] }): Promise<Recorder> {
  const live = new LiveConnection({ transports: ['websocket'], ...options });
  const pushes: AnyPush[] = [];
  const raw: AnyPush[] = [];
  live.onPush((push) => pushes.push(push));
  // Sequenced pushes only: `presence:stats` has no seq (it is counted, not logged).
  live.socket.onAny((event: string, payload: AnyPush) => {
    if (event !== 'presence:stats') raw.push(payload);
  });
  if (options.topics) await live.subscribe(options.topics);
  await live.ready();
  return {
    live,
    pushes,
    raw,
    waitForCount: (n, timeoutMs = 15_000) =>
      waitFor(() => pushes.length >= n, { timeoutMs, what: `${n} pushes (have ${pushes.length})` }).then(
        () => {},
      ),
    close: () => live.close(),
  };
}
