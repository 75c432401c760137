// The one socket client of both arms: socket.io-client over WebSocket (ws picks up bufferutil), subscribe with ack.
import { io, type Socket } from 'socket.io-client';
import { pool } from './scenario.ts';

export interface ConnectOptions {
  /** Handshake `auth.token` of the i-th socket (a Plaza session token, or a name for the baseline). */
  token?: (i: number) => string | undefined;
  topics: string[];
  /** Connections in flight at once. */
  concurrency?: number;
}

export function connectOne(url: string, token: string | undefined, topics: string[]): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = io(url, {
      transports: ['websocket'],
      auth: token ? { token } : {},
      reconnection: false,
      forceNew: true,
      timeout: 30_000,
    });
    const fail = (error: unknown) => {
      socket.close();
      reject(error instanceof Error ? error : new Error(String(error)));
    };
    socket.once('connect_error', fail);
    socket.once('connect', () => {
      socket.off('connect_error', fail);
      socket
        .timeout(30_000)
        .emitWithAck('subscribe', { topics })
        .then((ack: { ok: boolean; error?: unknown }) => {
          if (!ack.ok) fail(new Error(`subscribe refused: ${JSON.stringify(ack.error)}`));
          else resolve(socket);
        }, fail);
    });
  });
}

/** `count` sockets to `urls` (round robin), each subscribed to `topics`; resolves once all are. */
export async function connectMany(urls: string[], count: number, options: ConnectOptions): Promise<Socket[]> {
  return pool(count, options.concurrency ?? 50, (i) =>
    connectOne(urls[i % urls.length]!, options.token?.(i), options.topics),
  );
}

export async function closeAll(sockets: Socket[]): Promise<void> {
  for (const socket of sockets) socket.close();
  await new Promise((resolve) => setTimeout(resolve, 50));
}
