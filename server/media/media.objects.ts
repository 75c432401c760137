// Media rows → the wire's `Media`, and the avatar URLs of users (UserRef.avatarUrl, User.avatar).
import type { Media } from '@plaza/client/protocol';
import type { Selectable } from 'kysely';
import type { MediaTable } from '../db/schema.ts';
import { type MediaStore, variantKey } from './media.store.ts';

export type MediaRow = Selectable<MediaTable>;

/** The columns `mediaOf` reads. */
export type MediaFields = Pick<
  MediaRow,
  | 'id'
  | 'status'
  | 'content_type'
  | 'bytes'
  | 'width'
  | 'height'
  | 'variants'
  | 'blurhash'
  | 'description'
  | 'failure_reason'
  | 'created_at'
>;

/**
 * `as`: which variant is the `url` — the display one for a post's photo, the 1600×900 crop for an event's
 * cover (its width and height then say the crop's).
 */
export function mediaOf(
  row: MediaFields,
  store: Pick<MediaStore, 'publicUrl'>,
  as: 'display' | 'cover' = 'display',
): Media {
  const variants = row.status === 'ready' ? row.variants : null;
  const main = variants ? (as === 'cover' ? variants.cover : variants.display) : null;
  return {
    id: row.id,
    status: row.status,
    contentType: row.content_type,
    bytes: row.bytes,
    width: main?.width ?? null,
    height: main?.height ?? null,
    url: main ? store.publicUrl(main.key) : null,
    previewUrl: variants ? store.publicUrl(variants.preview.key) : null,
    blurhash: variants ? row.blurhash : null,
    description: row.description,
    failureReason: row.status === 'failed' ? row.failure_reason : null,
    createdAt: new Date(row.created_at).toISOString(),
  };
}

/** Media as the JSON a SQL query aggregates (`to_jsonb(m)`): timestamps arrive as strings. */
export type MediaJson = Omit<MediaFields, 'created_at'> & { created_at: string | Date };

export const mediaListOf = (
  rows: readonly MediaJson[] | null | undefined,
  store: Pick<MediaStore, 'publicUrl'>,
): Media[] => (rows ?? []).map((row) => mediaOf(row as MediaFields, store));

/** What turns keys into URLs: the store (`mediaStoreOf(config)`). */
export type MediaUrls = Pick<MediaStore, 'publicUrl'>;

/** `User.avatar` from the users row's `avatar_key` (the avatar media's token). */
export function avatarOf(
  avatarKey: string | null | undefined,
  urls: MediaUrls,
): { small: string; large: string } | null {
  if (!avatarKey) return null;
  return {
    small: urls.publicUrl(variantKey(avatarKey, 'avatar-96')),
    large: urls.publicUrl(variantKey(avatarKey, 'avatar-400')),
  };
}

/** `UserRef.avatarUrl` (96 px) from the users row's `avatar_key`. */
export const avatarUrlOf = (avatarKey: string | null | undefined, urls: MediaUrls): string | null =>
  avatarKey ? urls.publicUrl(variantKey(avatarKey, 'avatar-96')) : null;
