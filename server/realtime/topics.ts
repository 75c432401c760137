// Topics clients may subscribe to, and the rooms each maps to. Features register their own topics.
import type { Actor } from '../auth/actor.ts';
import { AppError, forbidden } from '../lib/errors.ts';

/** A topic as the server knows it: one canonical name per topic, however the client spelled its id. */
export interface TopicMatch {
  /** The canonical topic name (`post:<lower-case id>`): the key of a subscription. */
  topic: string;
  /** Its parameter (the post id of `post:<id>`), canonical too. */
  param: string;
}

export interface TopicDefinition {
  /** Matches a topic name, giving its canonical form and parameter. */
  match: (topic: string) => TopicMatch | null;
  /**
   * Rooms joined for this topic; throws AppError (`forbidden`, `not_found`) when refused. The calls made
   * for one subscribe come in the same turn of the event loop, so a lookup built with `batchedLookup`
   * answers all of them with one query.
   */
  rooms: (param: string, actor: Actor | null) => Promise<string[]> | string[];
  /** Rooms joined later on this topic's behalf (e.g. by a follow), kept while the topic is subscribed. */
  adopts?: (room: string) => boolean;
  /**
   * Access can be withdrawn after subscribing (an event rejected): checked again once its rooms are joined
   * and before a replay, since a withdrawal relayed just before the join found no socket to remove.
   */
  revocable?: boolean;
  /**
   * Its rooms follow a list that changes while the socket holds it (followees, moved through a room the
   * topic joins, e.g. `home:<me>`): read again once joined and the difference applied, so a change that
   * committed between the first read and the join, and so found no socket to move, is not missed.
   */
  rereadAfterJoin?: boolean;
}

export interface ResolvedTopic extends TopicMatch {
  definition: TopicDefinition;
}

export class TopicRegistry {
  private readonly definitions: TopicDefinition[] = [];

  register(definition: TopicDefinition): this {
    this.definitions.push(definition);
    return this;
  }

  /** The canonical form of a topic, or null for a topic no feature knows. */
  find(topic: string): ResolvedTopic | null {
    for (const definition of this.definitions) {
      const found = definition.match(topic);
      if (found) return { ...found, definition };
    }
    return null;
  }

  /** Like `find`, refusing an unknown topic with `validation_failed`. */
  canonical(topic: string): ResolvedTopic {
    const found = this.find(topic);
    if (!found) throw new AppError('validation_failed', `Unknown topic ${topic}`, { topic });
    return found;
  }

  /** Resolves a topic to its rooms, or throws an AppError naming the topic. */
  async resolve(topic: string | ResolvedTopic, actor: Actor | null): Promise<string[]> {
    const found = typeof topic === 'string' ? this.canonical(topic) : topic;
    try {
      return await found.definition.rooms(found.param, actor);
    } catch (error) {
      if (error instanceof AppError) {
        throw new AppError(error.code, `${error.message} (topic ${found.topic})`, { topic: found.topic });
      }
      throw error;
    }
  }

  /** True when `room` belongs to a subscription of `topic` though not among the rooms it resolved to. */
  adopts(topic: string, room: string): boolean {
    return this.find(topic)?.definition.adopts?.(room) ?? false;
  }
}

export const exactTopic =
  (name: string) =>
  (topic: string): TopicMatch | null =>
    topic === name ? { topic: name, param: '' } : null;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * `<prefix><uuid>`: ids are case-insensitive, so every spelling of one id is the same topic, named (and
 * its rooms derived) from the lower-case form. Otherwise ~4,096 spellings of one post would be as many
 * subscriptions and rooms.
 */
export const idTopic =
  (prefix: string) =>
  (topic: string): TopicMatch | null => {
    if (!topic.startsWith(prefix)) return null;
    const value = topic.slice(prefix.length);
    if (!UUID.test(value)) return null;
    const param = value.toLowerCase();
    return { topic: `${prefix}${param}`, param };
  };

/** Topics of the platform itself: the global feed, and `me` for authenticated sockets. */
export function platformTopics(registry: TopicRegistry): TopicRegistry {
  return registry.register({ match: exactTopic('feed'), rooms: () => ['feed'] }).register({
    match: exactTopic('me'),
    rooms: (_param, actor) => {
      if (!actor) throw forbidden('Sign in to follow your own topic');
      return [`user:${actor.userId}`];
    },
  });
}
