// Forms that work before (or without) the script: a real <form method="post"> posts here, the route calls
// the same API route the SDK would (in-process, with the viewer's credentials and the browser's Origin, so
// validation, limits and the CSRF rule are the API's own), then answers 303 See Other back to the page
// (Post/Redirect/Get) with a flash saying what happened or what to do next. The bundle intercepts the
// same forms and does them live.
import type { Context, Hono } from 'hono';
import type { AppEnv } from '../http/env.ts';
import { setFlash } from './flash.ts';
import type { PageDeps } from './page-context.ts';
import { refusalOf } from './refusals.ts';
import { safeNext } from './safe-next.ts';

export type FormFields = Record<string, string>;

export interface ApiCall {
  method: 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Under /api/v1. */
  path: string;
  body?: unknown;
  /** Extra request headers (the transfer form's Idempotency-Key). */
  headers?: Record<string, string>;
}

export interface FormAction {
  /** The API call the form stands for, from its fields (and the route's params). */
  call: (fields: FormFields, c: Context<AppEnv>) => ApiCall;
  /** Said after it worked; nothing when the page itself shows the change. */
  done?: string | ((data: unknown) => string | undefined);
  /** Where to go after it worked, when not back to the page (a new post's page, say). */
  next?: (data: unknown, fields: FormFields) => string | undefined;
  /** Field names as the page calls them in a refusal ({ body: 'Post' }: "Post: at most 5000 characters"). */
  labels?: Record<string, string>;
}

/** The page to go back to: the form's `back` field when it is a path of ours, else the form's own page. */
export function backOf(c: Context<AppEnv>, fields: FormFields): string {
  const origin = new URL(c.req.url).origin;
  const back = safeNext(fields.back, origin);
  if (back !== '/' || fields.back === '/') return back;
  const referer = c.req.header('referer');
  return referer ? safeNext(toPath(referer, origin), origin) : '/';
}

const toPath = (url: string, origin: string): string | undefined => {
  try {
    const parsed = new URL(url);
    return parsed.origin === origin ? `${parsed.pathname}${parsed.search}` : undefined;
  } catch {
    return undefined;
  }
};

async function fieldsOf(c: Context<AppEnv>): Promise<FormFields> {
  const body = await c.req.parseBody();
  const fields: FormFields = {};
  for (const [name, value] of Object.entries(body)) if (typeof value === 'string') fields[name] = value;
  return fields;
}

/** Registers `POST path` for a form: the API call, then 303 back (or to `next`) with a flash. */
export function formRoute(pages: Hono<AppEnv>, deps: PageDeps, path: string, action: FormAction): void {
  pages.post(path, async (c) => {
    const fields = await fieldsOf(c);
    const back = backOf(c, fields);
    const call = action.call(fields, c);
    const result = await deps.sendApi(c, call.method, call.path, call.body, call.headers);
    if (result.status >= 200 && result.status < 300) {
      const text = typeof action.done === 'function' ? action.done(result.data) : action.done;
      if (text) setFlash(c, { kind: 'ok', text });
      return c.redirect(action.next?.(result.data, fields) ?? back, 303);
    }
    const refusal = refusalOf(result.status, result.data, back, action.labels);
    setFlash(c, { kind: 'error', text: refusal.text, ...(refusal.link ? { link: refusal.link } : {}) });
    // Signed out: straight to the sign-in page, which comes back here afterwards.
    if (result.status === 401 && refusal.link) return c.redirect(refusal.link.href, 303);
    return c.redirect(back, 303);
  });
}
