// Which topics have presence, and the Redis keys that hold it. Every key of one topic carries the topic as a
// hash tag (`{post:<id>}`), so a topic's keys share one Redis Cluster slot and one script may touch them all.

/** Presence is kept for the topics people look at together: the feed, one post, one event. */
const PRESENCE_TOPIC =
  /^(?:feed|(?:post|event):[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;

/** True for a room (= canonical topic name) whose watchers are counted. */
export const isPresenceTopic = (room: string): boolean => PRESENCE_TOPIC.test(room);

/** Field of an instance's hash holding its socket count; the other fields are user ids (never this). */
export const CLIENTS_FIELD = '#clients';

export interface PresenceKeys {
  /** Hash of one instance's watchers of the topic: user id → its sockets, plus CLIENTS_FIELD. Expires. */
  instance: (topic: string, instanceId: string) => string;
  /** What `instance` keys start with (an instance id completes it): for scripts. */
  instancePrefix: (topic: string) => string;
  /** Set of the instances that have (or lately had) watchers of the topic. */
  instances: (topic: string) => string;
  /** Taken (SET NX PX) by whoever pushes the topic's numbers in the current window. */
  sent: (topic: string) => string;
  /** The numbers last pushed for the topic, `clients:users`. */
  last: (topic: string) => string;
}

export function presenceKeys(redisPrefix: string): PresenceKeys {
  const base = (topic: string) => `${redisPrefix}:presence:{${topic}}`;
  return {
    instance: (topic, instanceId) => `${base(topic)}:i:${instanceId}`,
    instancePrefix: (topic) => `${base(topic)}:i:`,
    instances: (topic) => `${base(topic)}:instances`,
    sent: (topic) => `${base(topic)}:sent`,
    last: (topic) => `${base(topic)}:last`,
  };
}
