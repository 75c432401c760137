// Hono context variables available to every route.
import type { RequestIdVariables } from 'hono/request-id';
import type { Actor } from '../auth/actor.ts';

export interface AppEnv {
  Variables: RequestIdVariables & {
    /** Set by the session middleware; null when the request is anonymous. */
    actor: Actor | null;
    /** Set on API GETs by the seq-header middleware: the seq this response's snapshot starts from. */
    seq?: number;
  };
}
