// The default store: files under MEDIA_DIR. Uploads come to the server's own endpoint with a URL signed
// like a presigned S3 PUT (the key, type, exact length and expiry under an HMAC), so the client code is
// the same for both stores; see local-store.routes.ts for the endpoint and the public files.
import { createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { MediaStore, PresignedPut, StoredObject } from './media.store.ts';

/** What a signed upload URL carries (query parameters), all covered by `sig`. */
export interface UploadGrant {
  key: string;
  contentType: string;
  bytes: number;
  /** Unix seconds. */
  expires: number;
}

const UPLOAD_PATH = '/media-upload/';
const DOWNLOAD_PATH = '/media-download/';
/** Keys a client may name: the store's own layout, nothing with `..` or a leading slash. */
const SAFE_KEY = /^(uploads|media|exports)\/[a-z0-9][a-z0-9._-]*(\/[a-z0-9][a-z0-9._-]*)?$/;

export const isSafeKey = (key: string): boolean => SAFE_KEY.test(key) && !key.includes('..');

export class LocalStore implements MediaStore {
  readonly kind = 'local' as const;
  readonly dir: string;
  private readonly signingKey: Buffer;
  private readonly origin: string;
  private readonly publicBase: string;

  /**
   * @param secret the deployment's secret (CAPTCHA_HMAC_KEY): the signing key is derived from it, so every
   *   instance verifies what any instance signed.
   * @param origin where clients reach the server (PUBLIC_URL), for the upload URLs.
   * @param publicBase prefix of public object URLs (MEDIA_PUBLIC_URL or PUBLIC_URL), ending in `/`.
   */
  constructor(options: { dir: string; secret: string; origin: URL; publicBase: string }) {
    this.dir = options.dir;
    this.signingKey = Buffer.from(hkdfSync('sha256', options.secret, 'plaza', 'local media store v1', 32));
    this.origin = options.origin.origin;
    this.publicBase = options.publicBase;
  }

  private pathOf(key: string): string {
    if (!isSafeKey(key)) throw new Error(`unsafe media key: ${key}`);
    return path.join(this.dir, key);
  }

  private sign(method: 'PUT' | 'GET', fields: string[]): string {
    return createHmac('sha256', this.signingKey)
      .update([method, ...fields].join('\n'))
      .digest('base64url');
  }

  private static matches(expected: string, given: string): boolean {
    const a = Buffer.from(expected);
    const b = Buffer.from(given);
    return a.length === b.length && timingSafeEqual(a, b);
  }

  async presignPut(
    key: string,
    input: { contentType: string; bytes: number; expiresInSeconds: number },
  ): Promise<PresignedPut> {
    const expires = Math.floor(Date.now() / 1000) + input.expiresInSeconds;
    const sig = this.sign('PUT', [key, input.contentType, String(input.bytes), String(expires)]);
    const url = new URL(`${UPLOAD_PATH}${key}`, this.origin);
    url.searchParams.set('type', input.contentType);
    url.searchParams.set('bytes', String(input.bytes));
    url.searchParams.set('expires', String(expires));
    url.searchParams.set('sig', sig);
    return {
      url: url.href,
      headers: { 'Content-Type': input.contentType, 'Content-Length': String(input.bytes) },
      expiresAt: new Date(expires * 1000),
    };
  }

  /** The grant of a signed upload URL's path and query, or why it is refused. */
  verifyPut(key: string, query: URLSearchParams): UploadGrant | { refused: string } {
    const contentType = query.get('type') ?? '';
    const bytes = Number(query.get('bytes'));
    const expires = Number(query.get('expires'));
    const sig = query.get('sig') ?? '';
    if (!isSafeKey(key) || !Number.isSafeInteger(bytes) || !Number.isSafeInteger(expires)) {
      return { refused: 'malformed upload URL' };
    }
    const expected = this.sign('PUT', [key, contentType, String(bytes), String(expires)]);
    if (!LocalStore.matches(expected, sig)) return { refused: 'signature does not match' };
    if (expires * 1000 < Date.now()) return { refused: 'upload URL expired' };
    return { key, contentType, bytes, expires };
  }

  async presignGet(key: string, input: { expiresInSeconds: number; filename?: string }): Promise<string> {
    const expires = Math.floor(Date.now() / 1000) + input.expiresInSeconds;
    const filename = input.filename ?? '';
    const url = new URL(`${DOWNLOAD_PATH}${key}`, this.origin);
    url.searchParams.set('expires', String(expires));
    if (filename) url.searchParams.set('filename', filename);
    url.searchParams.set('sig', this.sign('GET', [key, filename, String(expires)]));
    return url.href;
  }

  /** Whether a signed download URL is valid now. */
  verifyGet(key: string, query: URLSearchParams): boolean {
    const expires = Number(query.get('expires'));
    const filename = query.get('filename') ?? '';
    if (!isSafeKey(key) || !Number.isSafeInteger(expires) || expires * 1000 < Date.now()) return false;
    return LocalStore.matches(this.sign('GET', [key, filename, String(expires)]), query.get('sig') ?? '');
  }

  async stat(key: string): Promise<{ bytes: number } | undefined> {
    try {
      const stats = await fs.stat(this.pathOf(key));
      return stats.isFile() ? { bytes: stats.size } : undefined;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  async get(key: string): Promise<Buffer | undefined> {
    try {
      return await fs.readFile(this.pathOf(key));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  /** A stream of the file (served variants, downloads); undefined when there is none. */
  async open(key: string): Promise<{ stream: NodeJS.ReadableStream; bytes: number } | undefined> {
    const stats = await this.stat(key);
    if (!stats) return undefined;
    return { stream: createReadStream(this.pathOf(key)), bytes: stats.bytes };
  }

  /** Written under a temporary name and renamed: a reader never sees half a file. */
  async put(key: string, body: Buffer, _contentType: string): Promise<void> {
    const target = this.pathOf(key);
    await fs.mkdir(path.dirname(target), { recursive: true });
    const temporary = `${target}.${randomBytes(6).toString('hex')}.part`;
    await fs.writeFile(temporary, body);
    await fs.rename(temporary, target);
  }

  /**
   * Streams an upload to its key, refusing it unless it is exactly `bytes` long. Resolves false when the
   * body was longer or shorter (nothing is kept).
   */
  async putStream(key: string, body: AsyncIterable<Uint8Array>, bytes: number): Promise<boolean> {
    const target = this.pathOf(key);
    await fs.mkdir(path.dirname(target), { recursive: true });
    const temporary = `${target}.${randomBytes(6).toString('hex')}.part`;
    let received = 0;
    let tooLong = false;
    async function* counted(source: AsyncIterable<Uint8Array>) {
      for await (const chunk of source) {
        received += chunk.byteLength;
        if (received > bytes) {
          tooLong = true;
          return;
        }
        yield chunk;
      }
    }
    try {
      await pipeline(counted(body), createWriteStream(temporary));
      if (tooLong || received !== bytes) {
        await fs.rm(temporary, { force: true });
        return false;
      }
      await fs.rename(temporary, target);
      return true;
    } catch (error) {
      await fs.rm(temporary, { force: true });
      throw error;
    }
  }

  async delete(keys: readonly string[]): Promise<void> {
    await Promise.all(keys.map((key) => fs.rm(this.pathOf(key), { force: true })));
    // Variant folders left empty go too (best effort: another variant may still be there).
    const folders = new Set(
      keys.filter((k) => k.startsWith('media/')).map((k) => path.dirname(this.pathOf(k))),
    );
    await Promise.all([...folders].map((folder) => fs.rmdir(folder).catch(() => {})));
  }

  async *list(prefix: string): AsyncIterable<StoredObject> {
    const root = path.join(this.dir, prefix);
    let entries: string[];
    try {
      entries = await fs.readdir(root, { recursive: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw error;
    }
    for (const entry of entries) {
      if (entry.endsWith('.part')) continue;
      const full = path.join(root, entry);
      const stats = await fs.stat(full).catch(() => undefined);
      if (!stats?.isFile()) continue;
      yield {
        key: path.relative(this.dir, full).split(path.sep).join('/'),
        bytes: stats.size,
        lastModified: stats.mtime,
      };
    }
  }

  publicUrl(key: string): string {
    return `${this.publicBase}${key}`;
  }
}

export const LOCAL_UPLOAD_PATH = UPLOAD_PATH;
export const LOCAL_DOWNLOAD_PATH = DOWNLOAD_PATH;
