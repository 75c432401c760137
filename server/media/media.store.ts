// Where media bytes live: one small interface, a local store (default) and an S3-compatible one.
// Keys: `uploads/<token>` holds an original until the worker is done with it (never served);
// `media/<token>/<variant>.webp` are the public, immutable variants; `exports/…` private archives.
import { randomBytes } from 'node:crypto';
import { encodeBase32LowerCaseNoPadding } from '@oslojs/encoding';

export interface PresignedPut {
  url: string;
  /** Exactly these must be sent with the PUT: the signature covers them. */
  headers: Record<string, string>;
  expiresAt: Date;
}

export interface StoredObject {
  key: string;
  bytes: number;
  lastModified: Date;
}

export interface MediaStore {
  readonly kind: 'local' | 's3';
  /** A URL the client PUTs the file to; the store refuses another type, another length or a late PUT. */
  presignPut(
    key: string,
    input: { contentType: string; bytes: number; expiresInSeconds: number },
  ): Promise<PresignedPut>;
  /** A short-lived URL for a private object (data exports), downloaded under `filename`. */
  presignGet(key: string, input: { expiresInSeconds: number; filename?: string }): Promise<string>;
  /** Size of a stored object; undefined when there is none. */
  stat(key: string): Promise<{ bytes: number } | undefined>;
  /** The whole object (originals, bounded by MEDIA_MAX_BYTES); undefined when there is none. */
  get(key: string): Promise<Buffer | undefined>;
  put(key: string, body: Buffer, contentType: string): Promise<void>;
  /** Removes the objects; absent ones are not an error. */
  delete(keys: readonly string[]): Promise<void>;
  /** Every object under `prefix`, for the reconciler. */
  list(prefix: string): AsyncIterable<StoredObject>;
  /** The public URL of a `media/` key. */
  publicUrl(key: string): string;
}

export const VARIANT_NAMES = ['display', 'preview', 'avatar-400', 'avatar-96', 'cover'] as const;
export type VariantName = (typeof VARIANT_NAMES)[number];

/** 130 random bits, lower-case base32: the unguessable part of a media's keys. */
export const newMediaToken = (): string => encodeBase32LowerCaseNoPadding(randomBytes(17)).slice(0, 26);

export const originalKey = (token: string): string => `uploads/${token}`;
export const variantKey = (token: string, name: VariantName): string => `media/${token}/${name}.webp`;
/** Every object a media may have in the store (what deleting it removes). */
export const objectKeysOf = (token: string): string[] => [
  originalKey(token),
  ...VARIANT_NAMES.map((name) => variantKey(token, name)),
];

/** `media/<token>/<variant>.webp` and nothing else: what the local store serves. */
export const PUBLIC_KEY = /^media\/[a-z2-7]{26}\/(display|preview|avatar-400|avatar-96|cover)\.webp$/;
