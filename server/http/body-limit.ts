// Refuses request bodies over a size, by their Content-Length where they declare one (every browser and
// the SDK do), and only otherwise (chunked uploads) by counting as Hono's bodyLimit does.
//
// Why not Hono's bodyLimit alone: it looks at `c.req.raw.body`, and on @hono/node-server that one
// property turns the lightweight request into a full WHATWG Request with a web stream over the socket
// (undici's Request, a ReadableStream, an AbortController), on every request, GETs included; that was
// about a sixth of the server's CPU per request (bench/README.md). Reading the declared length costs
// nothing, and the handlers then read the body through node-server's direct path.
import { IncomingMessage } from 'node:http';
import type { Context, MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';

export function bodySizeLimit(maxSize: number, onError: (c: Context) => Response): MiddlewareHandler {
  const counting = bodyLimit({ maxSize, onError });
  return async (c, next) => {
    // A request built in-process (tests, pages calling the API) is a real Request already: count it.
    if (!isNodeRequest(c.env)) return counting(c, next);
    const length = c.req.header('content-length');
    const chunked = c.req.header('transfer-encoding') !== undefined;
    if (length !== undefined && !chunked) {
      const bytes = Number(length);
      if (!Number.isSafeInteger(bytes) || bytes < 0) return onError(c);
      return bytes > maxSize ? onError(c) : next();
    }
    // No declared length and not chunked: no body at all (HTTP/1.1 framing), nothing to count.
    if (!chunked) return next();
    return counting(c, next);
  };
}

/** @hono/node-server passes the Node request as `c.env.incoming`. */
const isNodeRequest = (env: unknown): boolean =>
  typeof env === 'object' && env !== null && 'incoming' in env && env.incoming instanceof IncomingMessage;
