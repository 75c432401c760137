// Topics clients may subscribe to, and the rooms each maps to. Features register their own topics.
import type { Actor } from '../auth/actor.ts';
import { AppError, forbidden } from '../lib/errors.ts';

export interface TopicDefinition {
  /** Matches a topic name and extracts its parameter (e.g. the post id of `post:<id>`). */
  match: (topic: string) => string | null;
  /** Rooms joined for this topic; throws AppError (`forbidden`, `not_found`) when refused. */
  rooms: (param: string, actor: Actor | null) => Promise<string[]> | string[];
  /** Rooms joined later on this topic's behalf (e.g. by a follow), kept while the topic is subscribed. */
  adopts?: (room: string) => boolean;
}

export class TopicRegistry {
  private readonly definitions: TopicDefinition[] = [];

  register(definition: TopicDefinition): this {
    this.definitions.push(definition);
    return this;
  }

  /** Resolves a topic to its rooms, or throws an AppError naming the topic. */
  async resolve(topic: string, actor: Actor | null): Promise<string[]> {
    for (const definition of this.definitions) {
      const param = definition.match(topic);
      if (param !== null) {
        try {
          return await definition.rooms(param, actor);
        } catch (error) {
          if (error instanceof AppError) {
            throw new AppError(error.code, `${error.message} (topic ${topic})`, { topic });
          }
          throw error;
        }
      }
    }
    throw new AppError('validation_failed', `Unknown topic ${topic}`, { topic });
  }

  /** True when `room` belongs to a subscription of `topic` though not among the rooms it resolved to. */
  adopts(topic: string, room: string): boolean {
    const definition = this.definitions.find((d) => d.match(topic) !== null);
    return definition?.adopts?.(room) ?? false;
  }
}

export const exactTopic = (name: string) => (topic: string) => (topic === name ? '' : null);

export const prefixedTopic = (prefix: string, param: RegExp) => (topic: string) => {
  if (!topic.startsWith(prefix)) return null;
  const value = topic.slice(prefix.length);
  return param.test(value) ? value : null;
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
