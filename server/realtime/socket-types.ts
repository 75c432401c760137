// Socket.IO server and socket types, from the wire contract.
import type { ClientToServerEvents, ServerToClientEvents } from '@plaza/client/protocol';
import type { Server, Socket } from 'socket.io';
import type { Actor } from '../auth/actor.ts';

export type InterServerEvents = Record<string, never>;

export interface SocketData {
  actor: Actor | null;
  /** Subscribed topics and the rooms each joined, to leave exactly those on unsubscribe. */
  topics: Map<string, string[]>;
}

export type PlazaServer = Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;
export type PlazaSocket = Socket<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;
