// Hono context variables available to every route.
import type { RequestIdVariables } from 'hono/request-id';
import type { Actor } from '../auth/actor.ts';

export interface AppEnv {
  Variables: RequestIdVariables & {
    /** Set by the session middleware; null when the request is anonymous. */
    actor: Actor | null;
  };
}
