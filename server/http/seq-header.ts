// X-Plaza-Seq on every GET: the newest relayed seq, read *before* the handler reads its data,
// so a client that resumes from it misses nothing committed after the snapshot.
import { SEQ_HEADER } from '@plaza/client/protocol';
import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from './env.ts';

export function seqHeader(currentSeq: () => Promise<number>): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (c.req.method !== 'GET' && c.req.method !== 'HEAD') return next();
    const seq = await currentSeq();
    // Handlers that cache by snapshot (the feed's first pages) key their entries by it.
    c.set('seq', seq);
    await next();
    c.res.headers.set(SEQ_HEADER, String(seq));
  };
}
