// What every page handler gets: API reads on behalf of the viewer (the same routes the SDK uses), and render().
import type { Context } from 'hono';
import type { AppEnv } from '../http/env.ts';
import type { Logger } from '../lib/logger.ts';
import type { Viewer } from './layout.tsx';

export interface ApiResult<T> {
  status: number;
  data: T;
  /** X-Plaza-Seq of the answer: read before its data. */
  seq: number;
}

/** Calls /api/v1 in-process with the viewer's credentials. */
export type CallApi = <T>(c: Context<AppEnv>, path: string) => Promise<ApiResult<T>>;

/**
 * A write to /api/v1 in-process on behalf of a form post: the viewer's credentials, the browser's Origin
 * (the API's CSRF rule applies unchanged) and client address. Any status comes back; `data` is the body.
 */
export type SendApi = (
  c: Context<AppEnv>,
  method: 'POST' | 'PUT' | 'PATCH' | 'DELETE',
  path: string,
  body?: unknown,
  headers?: Record<string, string>,
) => Promise<ApiResult<unknown>>;

export interface PageDeps {
  callApi: CallApi;
  sendApi: SendApi;
  logger?: Logger;
  currency: string;
  assetUrl: (name: 'app.js' | 'plaza.css' | 'altcha-worker.js') => string;
  /** Origins of photos and uploads beyond our own, for the Content-Security-Policy (media-origins.ts). */
  mediaOrigins?: { images: string[]; uploads: string[] };
}

/** Viewer details for the top bar, or null for anonymous pages. */
export async function loadViewer(deps: PageDeps, c: Context<AppEnv>): Promise<Viewer | null> {
  if (!c.var.actor) return null;
  const [me, notifications] = await Promise.all([
    deps.callApi<{ username: string; displayName: string; role?: string }>(c, '/me'),
    deps.callApi<{ unreadCount?: number }>(c, '/notifications?limit=1'),
  ]);
  if (me.status !== 200) return null;
  return {
    username: me.data.username,
    displayName: me.data.displayName,
    role: me.data.role,
    suspended: c.var.actor.suspended === true,
    unreadCount: notifications.status === 200 ? (notifications.data.unreadCount ?? 0) : 0,
  };
}

/** The oldest seq among several reads: resuming from it misses nothing any of them showed. */
export const snapshotSeq = (...results: Array<ApiResult<unknown>>) => Math.min(...results.map((r) => r.seq));
