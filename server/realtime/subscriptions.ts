// What one socket follows: its canonical topics, how many of them hold each room, and the bounds on both.
// Every operation costs in proportion to the topics it names, never to everything the socket holds.
import type { Actor } from '../auth/actor.ts';
import { AppError } from '../lib/errors.ts';
import type { PlazaSocket } from './socket-types.ts';
import type { ResolvedTopic, TopicRegistry } from './topics.ts';

/**
 * Sockets of moderators and admins (as of their handshake): what only they may see, such as a rejected
 * event, leaves every other socket's rooms with `except` this room.
 */
export const MODERATORS_ROOM = 'moderators';

/** The contract's bound: distinct canonical topics one socket may hold. */
export const MAX_TOPICS_PER_SOCKET = 100;
/** Topics one `subscribe`/`unsubscribe` message may name. */
export const MAX_TOPICS_PER_MESSAGE = 50;

export interface HeldTopic {
  match: ResolvedTopic;
  rooms: string[];
}

export interface SocketSubscriptions {
  /** Subscribed topics by canonical name, and the rooms each joined. */
  topics: Map<string, HeldTopic>;
  /** How many holders (topics, or the connection itself) keep each room: a room is left at zero. */
  holds: Map<string, number>;
}

export const emptySubscriptions = (): SocketSubscriptions => ({ topics: new Map(), holds: new Map() });

function refuseBeyondLimit(socket: PlazaSocket, adding: number): void {
  const held = socket.data.subscriptions.topics.size;
  if (held + adding <= MAX_TOPICS_PER_SOCKET) return;
  throw new AppError(
    'validation_failed',
    `A socket holds at most ${MAX_TOPICS_PER_SOCKET} topics (${held} held, ${adding} more asked)`,
    { limit: MAX_TOPICS_PER_SOCKET, held, adding },
  );
}

/** Rooms the connection itself keeps (its user, its session): no unsubscribe leaves them. */
export function pinRooms(socket: PlazaSocket, rooms: string[]): Promise<void> | void {
  const { holds } = socket.data.subscriptions;
  for (const room of rooms) holds.set(room, (holds.get(room) ?? 0) + 1);
  return socket.join(rooms);
}

function hold(socket: PlazaSocket, match: ResolvedTopic, rooms: string[]): string[] {
  const { topics, holds } = socket.data.subscriptions;
  topics.set(match.topic, { match, rooms });
  const joining: string[] = [];
  for (const room of rooms) {
    const count = holds.get(room) ?? 0;
    if (count === 0) joining.push(room);
    holds.set(room, count + 1);
  }
  return joining;
}

/** Drops one topic and leaves the rooms no other holder keeps (and, for `home`, the rooms it adopted). */
async function release(socket: PlazaSocket, topic: string): Promise<void> {
  const { topics, holds } = socket.data.subscriptions;
  const held = topics.get(topic);
  if (!held) return;
  topics.delete(topic);
  const leaving: string[] = [];
  for (const room of held.rooms) {
    const count = (holds.get(room) ?? 1) - 1;
    if (count > 0) {
      holds.set(room, count);
    } else {
      holds.delete(room);
      leaving.push(room);
    }
  }
  const adopts = held.match.definition.adopts;
  if (adopts) {
    const otherAdopters = [...topics.values()].flatMap((t) => t.match.definition.adopts ?? []);
    for (const room of socket.rooms) {
      if (adopts(room) && !holds.has(room) && !otherAdopters.some((other) => other(room))) leaving.push(room);
    }
  }
  await Promise.all(leaving.map((room) => socket.leave(room)));
}

/**
 * Subscribes to every topic or to none. Topics already held cost nothing; the rest are resolved together
 * (each kind's lookups share one query), then joined; revocable ones are checked once more after the join.
 */
export async function subscribe(
  registry: TopicRegistry,
  socket: PlazaSocket,
  actor: Actor | null,
  topics: string[],
): Promise<void> {
  const { subscriptions } = socket.data;
  const wanted = new Map<string, ResolvedTopic>();
  for (const topic of topics) {
    const match = registry.canonical(topic);
    if (!subscriptions.topics.has(match.topic)) wanted.set(match.topic, match);
  }
  refuseBeyondLimit(socket, wanted.size);
  if (wanted.size === 0) return;
  const fresh = [...wanted.values()];
  const resolved = await Promise.all(fresh.map((match) => registry.resolve(match, actor)));

  // Another subscribe of this socket may have finished meanwhile: count again, then hold without a pause.
  const adding = fresh.flatMap((match, i) =>
    subscriptions.topics.has(match.topic) ? [] : [{ match, rooms: resolved[i]! }],
  );
  refuseBeyondLimit(socket, adding.length);
  const joining = adding.flatMap(({ match, rooms }) => hold(socket, match, rooms));
  await socket.join(joining);
  await reread(registry, socket, actor, adding);

  const revocable = adding.filter(({ match }) => match.definition.revocable);
  if (revocable.length === 0) return;
  try {
    await Promise.all(revocable.map(({ match }) => registry.resolve(match, actor)));
  } catch (error) {
    await Promise.all(adding.map(({ match }) => release(socket, match.topic)));
    throw error;
  }
}

/**
 * Resolves the topics marked `rereadAfterJoin` again now that their rooms are joined and moves the socket
 * to what changed meanwhile: a change committed after this read moves the socket itself (it is in the
 * topic's rooms now), one committed before is in this read.
 */
async function reread(
  registry: TopicRegistry,
  socket: PlazaSocket,
  actor: Actor | null,
  added: ReadonlyArray<{ match: ResolvedTopic; rooms: string[] }>,
): Promise<void> {
  const topics = added.filter(({ match }) => match.definition.rereadAfterJoin);
  if (topics.length === 0) return;
  const again = await Promise.all(topics.map(({ match }) => registry.resolve(match, actor)));
  const { holds } = socket.data.subscriptions;
  const joining: string[] = [];
  const leaving: string[] = [];
  for (const [i, { match }] of topics.entries()) {
    const held = socket.data.subscriptions.topics.get(match.topic);
    // Unsubscribed meanwhile: nothing of it is held any more.
    if (!held) continue;
    const before = new Set(held.rooms);
    const now = new Set(again[i]);
    for (const room of now) {
      if (before.has(room)) continue;
      const count = holds.get(room) ?? 0;
      if (count === 0) joining.push(room);
      holds.set(room, count + 1);
    }
    for (const room of before) {
      if (now.has(room)) continue;
      const count = (holds.get(room) ?? 1) - 1;
      if (count > 0) holds.set(room, count);
      else {
        holds.delete(room);
        leaving.push(room);
      }
    }
    held.rooms = [...now];
  }
  await socket.join(joining);
  await Promise.all(leaving.map((room) => socket.leave(room)));
}

/** Unsubscribes; topics the socket does not hold (or no feature knows) are ignored. */
export async function unsubscribe(
  registry: TopicRegistry,
  socket: PlazaSocket,
  topics: string[],
): Promise<void> {
  const names = new Set(topics.map((topic) => registry.find(topic)?.topic ?? topic));
  await Promise.all([...names].map((topic) => release(socket, topic)));
}

/**
 * Checks the revocable topics again (one query per kind) and drops those no longer allowed, so a replay
 * never reads the rooms of, say, an event rejected since the subscribe. Answers the rooms left to replay.
 */
export async function roomsToReplay(
  registry: TopicRegistry,
  socket: PlazaSocket,
  actor: Actor | null,
): Promise<string[]> {
  const { subscriptions } = socket.data;
  const revocable = [...subscriptions.topics.values()].filter((held) => held.match.definition.revocable);
  const outcomes = await Promise.allSettled(revocable.map((held) => registry.resolve(held.match, actor)));
  for (const [i, outcome] of outcomes.entries()) {
    if (outcome.status === 'fulfilled') continue;
    if (!(outcome.reason instanceof AppError)) throw outcome.reason;
    await release(socket, revocable[i]!.match.topic);
  }
  return [...socket.rooms].filter((room) => room !== socket.id);
}
