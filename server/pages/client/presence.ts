// Fills the page's "N watching" (components/watching.tsx): the numbers on load, then each `presence:stats`,
// asked again after a reconnect (a push missed while away is not replayed: presence has no seq).
import type { PlazaClient } from '@plaza/client';
import { $ } from './dom.ts';

const numbers = new Intl.NumberFormat();

export async function showWatching(client: PlazaClient): Promise<void> {
  const element = $('#watching');
  const topic = element?.dataset.topic;
  if (!element || !topic) return;
  const text = $('.watching-text', element)!;
  // Sockets, signed in or not: someone reading without an account is watching too.
  const show = (clients: number) => {
    text.textContent = `${numbers.format(clients)} watching`;
    element.title = clients === 1 ? 'Only you have this page open' : `${clients} open views of this page`;
    element.hidden = clients < 1;
  };
  // A push and a command's answer are not ordered: the push of a change computed after the answer can reach
  // the page before it (their Redis replies arrive together and take different paths to the socket). So an
  // answer that a push overtook is stale: ask again, until one comes back with no push in between.
  let pushes = 0;
  const ask = async (): Promise<void> => {
    for (let attempt = 0; attempt < 5; attempt++) {
      const before = pushes;
      let clients: number;
      try {
        ({ clients } = await client.presence(topic));
      } catch {
        // Not counted now (offline, refused): say nothing rather than something wrong.
        element.hidden = true;
        return;
      }
      if (pushes === before) {
        show(clients);
        return;
      }
    }
  };
  client.onPresence(({ clients }) => {
    pushes++;
    show(clients);
  }, topic);
  client.live.onStatus((status) => {
    if (status === 'resumed' || status === 'gap') void ask();
    if (status === 'reconnecting' || status === 'disconnected') element.hidden = true;
  });
  // Asked once the connection has joined the page's topic: an answer from before that join leaves this view
  // out, and the push that counts it in may never come (numbers equal to the last pushed are not pushed
  // again — after a reload, this view replaces the one that left).
  await client.live.ready();
  await ask();
}
