// Socket.IO server and socket types, from the wire contract.
import type { ClientToServerEvents, ServerToClientEvents } from '@plaza/client/protocol';
import type { Server, Socket } from 'socket.io';
import type { Actor } from '../auth/actor.ts';
import type { SocketSubscriptions } from './subscriptions.ts';

/** What instances tell each other through the adapter (`serverSideEmit`, never heard by the sender). */
export interface InterServerEvents {
  /** Sockets of `userId` join (`hidden`) or leave `hide:<otherId>` (see server/safety/safety.events.ts). */
  'safety:hide-changed': (changes: Array<{ userId: string; otherId: string; hidden: boolean }>) => void;
}

export interface SocketData {
  actor: Actor | null;
  /** Subscribed topics and the rooms each holds, to leave exactly those on unsubscribe. */
  subscriptions: SocketSubscriptions;
  /** Settles once the socket joined its `hide:` rooms (blocks, mutes); topics wait for it. */
  hidden?: Promise<void>;
  /** Gives back this connection's slot of its address (SocketsPerAddress); at most once. */
  releaseAddress?: () => void;
}

export type PlazaServer = Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;
export type PlazaSocket = Socket<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;
