// Media in any S3-compatible store (AWS S3, MinIO, R2, Garage) through the AWS SDK. Clients upload with a
// presigned PUT whose signature covers Content-Type and Content-Length, so the store itself refuses another
// type or size; public variants are read from MEDIA_PUBLIC_URL (the bucket, a CDN or a proxy), never signed.
import {
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { MediaStore, PresignedPut, StoredObject } from './media.store.ts';

export interface S3StoreOptions {
  /** Unset: AWS S3 itself, from the region. */
  endpoint: string | undefined;
  region: string;
  bucket: string;
  /** Both unset: the SDK's own chain (environment, instance role, …). */
  accessKeyId: string | undefined;
  secretAccessKey: string | undefined;
  /** `endpoint/bucket/key` instead of `bucket.endpoint/key` (MinIO, most self-hosted stores). */
  forcePathStyle: boolean;
  /**
   * Where clients reach `endpoint` (a proxy forwarding to it with its Host, path-style only): presigned
   * URLs are signed for `endpoint` and handed out under this prefix. Unset: `endpoint` itself.
   */
  publicEndpoint?: string | undefined;
  /** Prefix of public object URLs, ending in `/`. */
  publicBase: string;
}

/** DeleteObjects takes at most this many keys per request. */
const DELETE_BATCH = 1000;
/** Variants never change under their key (a new upload gets a new token). */
const IMMUTABLE = 'public, max-age=31536000, immutable';

export class S3Store implements MediaStore {
  readonly kind = 's3' as const;
  readonly client: S3Client;
  private readonly bucket: string;
  private readonly publicBase: string;
  /** [what the SDK signs for, what clients are given instead], both without a trailing slash. */
  private readonly rewrite: [string, string] | undefined;

  constructor(options: S3StoreOptions) {
    this.bucket = options.bucket;
    this.publicBase = options.publicBase;
    if (options.publicEndpoint && options.endpoint) {
      if (!options.forcePathStyle) throw new Error('a public S3 endpoint needs path-style URLs');
      this.rewrite = [options.endpoint.replace(/\/+$/, ''), options.publicEndpoint.replace(/\/+$/, '')];
    }
    this.client = new S3Client({
      endpoint: options.endpoint,
      region: options.region,
      forcePathStyle: options.forcePathStyle,
      credentials:
        options.accessKeyId && options.secretAccessKey
          ? { accessKeyId: options.accessKeyId, secretAccessKey: options.secretAccessKey }
          : undefined,
      // The SDK's default CRC32 checksums are refused by MinIO and R2 (aws-sdk-js-v3#6810), and a presigned
      // PUT would carry one the browser cannot compute.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
  }

  async presignPut(
    key: string,
    input: { contentType: string; bytes: number; expiresInSeconds: number },
  ): Promise<PresignedPut> {
    const signedAt = Date.now();
    const command = new PutObjectCommand({
      Bucket: this.bucket,
      Key: key,
      ContentType: input.contentType,
      ContentLength: input.bytes,
    });
    const url = await this.sign(command, {
      expiresIn: input.expiresInSeconds,
      signingDate: new Date(signedAt),
      // The presigner leaves Content-Type unsigned by default; both must be signed so that the store
      // refuses a PUT of another type or length.
      signableHeaders: new Set(['content-type', 'content-length']),
      unhoistableHeaders: new Set(['content-type', 'content-length']),
    });
    return {
      url,
      headers: { 'Content-Type': input.contentType, 'Content-Length': String(input.bytes) },
      // SigV4 dates have whole seconds: the URL dies at the signing second plus the lifetime.
      expiresAt: new Date(Math.floor(signedAt / 1000) * 1000 + input.expiresInSeconds * 1000),
    };
  }

  async presignGet(key: string, input: { expiresInSeconds: number; filename?: string }): Promise<string> {
    const command = new GetObjectCommand({
      Bucket: this.bucket,
      Key: key,
      ResponseContentDisposition: input.filename ? contentDisposition(input.filename) : undefined,
    });
    return this.sign(command, { expiresIn: input.expiresInSeconds });
  }

  /** A presigned URL, under the public endpoint when there is one (the signature does not cover it). */
  private async sign(
    command: PutObjectCommand | GetObjectCommand,
    options: Parameters<typeof getSignedUrl>[2],
  ): Promise<string> {
    const url = await getSignedUrl(this.client, command, options);
    if (!this.rewrite) return url;
    const [signed, visible] = this.rewrite;
    const origin = new URL(signed);
    const given = new URL(url);
    // The SDK may drop a default port or add a slash: compare origins, keep the path and query as signed.
    if (given.origin !== origin.origin) throw new Error(`presigned URL outside ${signed}: ${given.origin}`);
    return `${visible}${given.pathname.slice(origin.pathname.replace(/\/+$/, '').length)}${given.search}`;
  }

  async stat(key: string): Promise<{ bytes: number } | undefined> {
    try {
      const head = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return { bytes: head.ContentLength ?? 0 };
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  async get(key: string): Promise<Buffer | undefined> {
    try {
      const object = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      if (!object.Body) return Buffer.alloc(0);
      return Buffer.from(await object.Body.transformToByteArray());
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  async put(key: string, body: Buffer, contentType: string): Promise<void> {
    await this.client.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: key,
        Body: body,
        ContentType: contentType,
        ContentLength: body.byteLength,
        CacheControl: key.startsWith('media/') ? IMMUTABLE : undefined,
      }),
    );
  }

  async delete(keys: readonly string[]): Promise<void> {
    for (let start = 0; start < keys.length; start += DELETE_BATCH) {
      const batch = keys.slice(start, start + DELETE_BATCH);
      const result = await this.client.send(
        new DeleteObjectsCommand({
          Bucket: this.bucket,
          Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true },
        }),
      );
      // Absent keys are not errors in S3; anything reported here is (permissions, a locked object).
      const failed = (result.Errors ?? []).filter((e) => e.Code !== 'NoSuchKey');
      if (failed.length > 0) {
        const first = failed[0]!;
        throw new Error(
          `could not delete ${failed.length} object(s), first ${first.Key}: ${first.Code} ${first.Message}`,
        );
      }
    }
  }

  async *list(prefix: string): AsyncIterable<StoredObject> {
    let token: string | undefined;
    do {
      const page = await this.client.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken: token }),
      );
      for (const object of page.Contents ?? []) {
        if (!object.Key) continue;
        yield { key: object.Key, bytes: object.Size ?? 0, lastModified: object.LastModified ?? new Date(0) };
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  publicUrl(key: string): string {
    return `${this.publicBase}${key}`;
  }

  close(): void {
    this.client.destroy();
  }
}

function isNotFound(error: unknown): boolean {
  if (error instanceof S3ServiceException) {
    return error.name === 'NotFound' || error.name === 'NoSuchKey' || error.$metadata.httpStatusCode === 404;
  }
  return false;
}

/** `attachment` with the name; a non-ASCII one also as UTF-8 (RFC 6266), quotes and controls replaced. */
function contentDisposition(filename: string): string {
  const ascii = filename.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
  if (ascii === filename) return `attachment; filename="${ascii}"`;
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(filename)}`;
}
