// After this instance's adapter subscription to Redis comes back, its sockets must catch up on what was
// published meanwhile: their TCP connections never dropped, so their clients would not know to resume.
import type { Redis } from 'ioredis';
import type { Logger } from '../lib/logger.ts';
import type { PlazaServer } from './socket-types.ts';

/**
 * Watches the adapter's subscriber connection; once it is subscribed again after a loss, closes the
 * transport of every local socket. Clients reconnect (Socket.IO does so after a transport close, unlike
 * after a server-side disconnect) and resume from the last seq *they* saw — exact, whatever was lost
 * in flight — instead of this instance guessing what each of them missed.
 */
export function resumeSocketsAfterSubscriptionLoss(sub: Redis, io: PlazaServer, logger: Logger): void {
  let lost = false;
  sub.on('close', () => {
    lost = true;
  });
  sub.on('ready', () => {
    if (!lost) return;
    lost = false;
    // ioredis sends its SUBSCRIBEs again right after emitting 'ready'; a PING queued behind them is
    // answered only once they hold, so pushes relayed after that reach the sockets that come back.
    setImmediate(() => {
      sub.ping().then(
        () => {
          const sockets = [...io.of('/').sockets.values()];
          for (const socket of sockets) socket.conn.close();
          logger.info({ sockets: sockets.length }, 'adapter subscription restored: sockets sent to resume');
        },
        (error: unknown) => logger.warn({ err: error }, 'adapter subscription check failed'),
      );
    });
  });
}
