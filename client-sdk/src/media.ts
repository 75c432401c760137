// Media uploads (API.md "Media"): create → PUT the bytes to the presigned URL → complete → wait for the
// worker's verdict (the `media:updated` push when the live connection is open, polling either way).
import { PlazaError } from './errors.ts';
import type { HttpTransport } from './http.ts';
import { segment } from './http.ts';
import type { LiveConnection } from './live.ts';
import type { AnyPush, Media, MediaUpload } from './protocol.ts';

export interface UploadOptions {
  /** Alt text (≤ 1,500 characters). */
  description?: string;
  /** Bytes sent so far of `total`; in browsers as the upload goes (XHR), elsewhere at the start and the end. */
  onProgress?: (sent: number, total: number) => void;
  signal?: AbortSignal;
  /** How long to wait for processing after the upload; default 2 minutes. */
  readyTimeoutMs?: number;
}

export interface MediaDeps {
  http: HttpTransport;
  fetch: typeof fetch;
  /** The live connection if one is open: its `media:updated` push ends the wait early. */
  live: () => LiveConnection | null;
}

const abortError = () => new DOMException('The upload was aborted', 'AbortError');

/** Sends the file exactly as signed. XHR where there is one, for upload progress; fetch elsewhere. */
export async function putFile(deps: MediaDeps, upload: MediaUpload, file: Blob, options: UploadOptions) {
  const total = file.size;
  // Browsers set Content-Length themselves and refuse it from script; the signed value is the file's size.
  const headers = Object.fromEntries(
    Object.entries(upload.headers).filter(([name]) => name.toLowerCase() !== 'content-length'),
  );
  const refused = (status: number, text: string) => {
    let parsed: unknown = null;
    try {
      parsed = JSON.parse(text);
    } catch {}
    const error = (parsed as { error?: { code?: string; message?: string } } | null)?.error;
    return new PlazaError(
      error?.code && error.message
        ? (error as ConstructorParameters<typeof PlazaError>[0])
        : { code: 'internal', message: `The upload was refused (HTTP ${status})` },
      status,
    );
  };
  options.onProgress?.(0, total);
  if (typeof XMLHttpRequest === 'undefined') {
    const res = await deps.fetch(upload.url, {
      method: upload.method,
      headers,
      body: file,
      credentials: 'omit',
      signal: options.signal,
    });
    if (!res.ok) throw refused(res.status, await res.text());
    options.onProgress?.(total, total);
    return;
  }
  await new Promise<void>((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open(upload.method, upload.url);
    for (const [name, value] of Object.entries(headers)) xhr.setRequestHeader(name, value);
    xhr.upload.onprogress = (event) => options.onProgress?.(event.loaded, total);
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        options.onProgress?.(total, total);
        resolve();
      } else reject(refused(xhr.status, xhr.responseText));
    };
    xhr.onerror = () => reject(new TypeError('The upload could not reach the store'));
    xhr.onabort = () => reject(abortError());
    options.signal?.addEventListener('abort', () => xhr.abort(), { once: true });
    xhr.send(file);
  });
}

const settled = (media: Media) => media.status === 'ready' || media.status === 'failed';

/** Resolves with the media once it is ready; throws PlazaError (the failureReason) when processing failed. */
export async function waitUntilReady(
  deps: MediaDeps,
  first: Media,
  options: Pick<UploadOptions, 'signal' | 'readyTimeoutMs'>,
  /** Registered before `complete` was sent, so a push that came first is not lost. */
  pushed: { media: Media | null; wake: (() => void) | null },
): Promise<Media> {
  const deadline = Date.now() + (options.readyTimeoutMs ?? 120_000);
  let media = first;
  let delay = 250;
  while (!settled(media)) {
    if (pushed.media && settled(pushed.media)) {
      media = pushed.media;
      break;
    }
    if (options.signal?.aborted) throw abortError();
    if (Date.now() > deadline) {
      throw new PlazaError(
        {
          code: 'unavailable',
          message: 'The image is still being processed; try again later',
          details: { mediaId: media.id },
        },
        0,
      );
    }
    // A push cuts the wait short; polling covers a closed or lagging live connection.
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, Math.min(delay, Math.max(0, deadline - Date.now())));
      pushed.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    pushed.wake = null;
    if (pushed.media && settled(pushed.media)) media = pushed.media;
    else media = await deps.http.get<Media>(`/media/${segment(media.id)}`);
    delay = Math.min(delay * 1.6, deps.live()?.socket.connected ? 5_000 : 2_000);
  }
  if (media.status === 'failed') {
    throw new PlazaError(
      {
        code: 'validation_failed',
        message: media.failureReason ?? 'The image could not be processed',
        details: { mediaId: media.id, failureReason: media.failureReason },
      },
      0,
    );
  }
  return media;
}

/** The whole upload: returns the `ready` Media, or throws PlazaError (a refusal, or why processing failed). */
export async function uploadMedia(deps: MediaDeps, file: Blob, options: UploadOptions = {}): Promise<Media> {
  const created = await deps.http.send<{ media: Media; upload: MediaUpload }>('POST', '/media', {
    contentType: file.type,
    bytes: file.size,
    ...(options.description ? { description: options.description } : {}),
  });
  const id = created.media.id;
  await putFile(deps, created.upload, file, options);
  const pushed: { media: Media | null; wake: (() => void) | null } = { media: null, wake: null };
  const live = deps.live();
  const off = live?.onPush((push: AnyPush) => {
    if (push.type !== 'media:updated' || push.data.media.id !== id) return;
    pushed.media = push.data.media;
    pushed.wake?.();
  });
  try {
    const completed = await deps.http.send<Media>('POST', `/media/${segment(id)}/complete`);
    return await waitUntilReady(deps, completed, options, pushed);
  } finally {
    off?.();
  }
}
