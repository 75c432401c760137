// A minimal TCP load balancer on loopback: each new connection goes to the next backend that accepts,
// like a load balancer in front of several instances (a dead instance is skipped).
import net from 'node:net';

export interface Balancer {
  url: string;
  setBackends: (ports: number[]) => void;
  close: () => Promise<void>;
}

export async function startBalancer(ports: number[]): Promise<Balancer> {
  let backends = [...ports];
  let next = 0;
  const sockets = new Set<net.Socket>();

  const connect = (client: net.Socket, tries: number) => {
    if (tries >= backends.length) {
      client.destroy();
      return;
    }
    const port = backends[next++ % backends.length]!;
    const upstream = net.connect(port, '127.0.0.1');
    let connected = false;
    sockets.add(upstream);
    upstream.once('connect', () => {
      connected = true;
      client.pipe(upstream).pipe(client);
      client.resume();
    });
    upstream.on('error', () => {
      // Refused: that backend is gone, try the next one. Broken later: the client sees the drop.
      if (!connected) connect(client, tries + 1);
      else client.destroy();
    });
    upstream.once('close', () => {
      sockets.delete(upstream);
      if (connected) client.destroy();
    });
    client.once('close', () => upstream.destroy());
  };

  const server = net.createServer({ pauseOnConnect: true }, (client) => {
    sockets.add(client);
    client.on('error', () => client.destroy());
    client.once('close', () => sockets.delete(client));
    connect(client, 0);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    setBackends: (list) => {
      backends = [...list];
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(() => resolve(undefined)));
    },
  };
}
