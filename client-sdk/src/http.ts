// The REST transport: JSON in and out, bearer or cookie auth, contract errors as PlazaError.
import { isErrorBody, PlazaError } from './errors.ts';
import type { PageOptions } from './inputs.ts';
import { SEQ_HEADER } from './protocol.ts';

export interface HttpOptions {
  /** Server origin, e.g. `https://plaza.example` (the API lives under /api/v1). */
  url: string;
  token?: string;
  fetch?: typeof fetch;
  /** Browser pages on the same origin use the session cookie: 'same-origin' (default) or 'include'. */
  credentials?: RequestCredentials;
  headers?: Record<string, string>;
}

export interface Response<T> {
  data: T;
  status: number;
  /** `X-Plaza-Seq` of a GET: subscribe and resume from it to follow this snapshot live without a hole. */
  seq: number | null;
}

type Query = Record<string, string | number | boolean | null | undefined>;

export class HttpTransport {
  token: string | undefined;
  private readonly base: string;
  private readonly fetchImpl: typeof fetch;

  private readonly options: HttpOptions;

  constructor(options: HttpOptions) {
    this.options = options;
    this.base = `${options.url.replace(/\/+$/, '')}/api/v1`;
    this.token = options.token;
    this.fetchImpl = options.fetch ?? globalThis.fetch.bind(globalThis);
  }

  async request<T>(
    method: string,
    path: string,
    options: { body?: unknown; query?: Query; headers?: Record<string, string> } = {},
  ): Promise<Response<T>> {
    const url = new URL(this.base + path);
    for (const [key, value] of Object.entries(options.query ?? {})) {
      if (value !== undefined && value !== null) url.searchParams.set(key, String(value));
    }
    const headers: Record<string, string> = {
      accept: 'application/json',
      ...this.options.headers,
      ...options.headers,
    };
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    const res = await this.fetchImpl(url, {
      method,
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      credentials: this.options.credentials ?? 'same-origin',
    });
    const text = await res.text();
    let parsed: unknown = null;
    if (text) {
      try {
        parsed = JSON.parse(text);
      } catch {
        throw new PlazaError(
          { code: 'internal', message: `Unexpected response (${res.status})` },
          res.status,
        );
      }
    }
    if (!res.ok) {
      if (isErrorBody(parsed)) throw new PlazaError(parsed.error, res.status);
      throw new PlazaError({ code: 'internal', message: `HTTP ${res.status}` }, res.status);
    }
    const seq = res.headers.get(SEQ_HEADER);
    return { data: parsed as T, status: res.status, seq: seq === null ? null : Number(seq) };
  }

  /**
   * A GET that answers a redirect, not followed: where it points (`Location`, absolute). A browser's fetch
   * hides a manual redirect's target (an opaque redirect): then the route's own URL, which a signed-in
   * browser can navigate to. A fetch that followed the redirect anyway answers with where it ended.
   */
  async location(path: string): Promise<string> {
    const url = new URL(this.base + path);
    const headers: Record<string, string> = { accept: 'application/json', ...this.options.headers };
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    const res = await this.fetchImpl(url, {
      method: 'GET',
      headers,
      redirect: 'manual',
      credentials: this.options.credentials ?? 'same-origin',
    });
    if (res.type === 'opaqueredirect') return url.href;
    const location = res.headers.get('location');
    if (res.status >= 300 && res.status < 400 && location) return new URL(location, url).href;
    if (res.ok) return res.url || url.href;
    let parsed: unknown = null;
    try {
      parsed = JSON.parse(await res.text());
    } catch {
      // Not the contract's JSON: the status says it.
    }
    if (isErrorBody(parsed)) throw new PlazaError(parsed.error, res.status);
    throw new PlazaError({ code: 'internal', message: `HTTP ${res.status}` }, res.status);
  }

  async get<T>(path: string, query?: Query): Promise<T> {
    return (await this.request<T>('GET', path, { query })).data;
  }

  async send<T>(
    method: 'POST' | 'PUT' | 'PATCH' | 'DELETE',
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<T> {
    return (await this.request<T>(method, path, { body, headers })).data;
  }
}

export const pageQuery = (page: PageOptions = {}): Query => ({
  limit: page.limit,
  cursor: page.cursor ?? undefined,
});

export const segment = (value: string) => encodeURIComponent(value);
