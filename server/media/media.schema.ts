// Inputs and wire objects of media (API.md "Media", "Instance").
import { z } from '@hono/zod-openapi';

export const MEDIA_DESCRIPTION_MAX = 1500;
export const MEDIA_PER_POST = 4;
export const MEDIA_UPLOAD_TTL_SECONDS = 10 * 60;

/** The accepted types, as browsers and cameras name them (image/jpg is a common misspelling of jpeg). */
export const MEDIA_TYPES = ['image/jpeg', 'image/png', 'image/webp', 'image/gif', 'image/avif'] as const;
export type MediaType = (typeof MEDIA_TYPES)[number];

/** `image/JPEG; charset=…` and `image/jpg` → `image/jpeg`; anything else lower-cased as given. */
export function normaliseContentType(value: string): string {
  const bare = value.split(';')[0]?.trim().toLowerCase() ?? '';
  return bare === 'image/jpg' || bare === 'image/pjpeg' ? 'image/jpeg' : bare;
}

export const isMediaType = (value: string): value is MediaType =>
  (MEDIA_TYPES as readonly string[]).includes(value);

export const mediaIdSchema = z.uuid().toLowerCase();
export const mediaIdParams = z.object({
  id: mediaIdSchema.openapi({ param: { name: 'id', in: 'path' } }),
});

const descriptionSchema = z
  .string()
  .max(MEDIA_DESCRIPTION_MAX)
  .transform((value) => value.trim())
  .openapi({ description: 'Alt text: what the image shows, for people who cannot see it' });

export const createMediaSchema = z
  .object({
    contentType: z.string().min(1).max(100).openapi({ example: 'image/jpeg' }),
    bytes: z.number().int().positive().openapi({ description: 'The exact size of the file to upload' }),
    description: descriptionSchema.optional(),
  })
  .openapi('CreateMedia');
export type CreateMediaInput = z.infer<typeof createMediaSchema>;

export const updateMediaSchema = z.object({ description: descriptionSchema }).openapi('UpdateMedia');

/** At most 4, each once: the same id twice would attach one photo twice. */
export const mediaIdsSchema = z
  .array(mediaIdSchema)
  .max(MEDIA_PER_POST, `at most ${MEDIA_PER_POST} media per post`)
  .refine((ids) => new Set(ids).size === ids.length, 'each media at most once');

export const MediaSchema = z
  .object({
    id: z.string(),
    status: z.enum(['pending_upload', 'processing', 'ready', 'failed']),
    contentType: z.string(),
    bytes: z.number().int(),
    width: z.number().int().nullable(),
    height: z.number().int().nullable(),
    url: z.string().nullable(),
    previewUrl: z.string().nullable(),
    blurhash: z.string().nullable(),
    description: z.string(),
    failureReason: z.string().nullable(),
    createdAt: z.string(),
  })
  .openapi('Media');

export const MediaUploadSchema = z
  .object({
    method: z.literal('PUT'),
    url: z.string(),
    headers: z.record(z.string(), z.string()),
    expiresAt: z.string(),
  })
  .openapi('MediaUpload');

export const CreatedMediaSchema = z
  .object({ media: MediaSchema, upload: MediaUploadSchema })
  .openapi('CreatedMedia');

export const InstanceSchema = z
  .object({
    name: z.string(),
    version: z.string(),
    currency: z.string(),
    limits: z.object({
      postChars: z.number().int(),
      commentChars: z.number().int(),
      mediaPerPost: z.number().int(),
      mediaMaxBytes: z.number().int(),
      mediaMaxPixels: z.number().int(),
      mediaTypes: z.array(z.string()),
      bioChars: z.number().int(),
    }),
    features: z.array(z.string()),
  })
  .openapi('Instance');
