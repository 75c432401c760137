// A flooding client in a process of its own (so its work does not slow the test's measurements):
// `flooder.ts <url> <token> <postId> <perSecond> <seconds>` prints `firing` once connected, toggles a like
// as fast as told, then prints one JSON line with the count of each ack code.
import { io } from 'socket.io-client';

const [url, token, postId, perSecondArg, secondsArg] = process.argv.slice(2);
const perSecond = Number(perSecondArg);
const seconds = Number(secondsArg);
const socket = io(url!, { transports: ['websocket'], auth: { token }, reconnection: false });
await new Promise<void>((resolve, reject) => {
  socket.once('connect', () => resolve());
  socket.once('connect_error', reject);
});
process.stdout.write('firing\n');

const acks: Record<string, number> = {};
const count = (key: string) => {
  acks[key] = (acks[key] ?? 0) + 1;
};
const pending: Array<Promise<void>> = [];
const batch = perSecond / 20;
for (let tick = 0; tick < seconds * 20; tick++) {
  const started = Date.now();
  for (let i = 0; i < batch; i++) {
    pending.push(
      socket
        .timeout(30_000)
        .emitWithAck(i % 2 ? 'post:unlike' : 'post:like', { postId })
        .then(
          (ack: { ok: boolean; error?: { code: string } }) =>
            count(ack.ok ? 'ok' : (ack.error?.code ?? 'unknown')),
          () => count('timeout'),
        ),
    );
  }
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, 50 - (Date.now() - started))));
}
await Promise.all(pending);
count(socket.connected ? 'still-connected' : 'disconnected');
socket.close();
process.stdout.write(`${JSON.stringify(acks)}\n`);
