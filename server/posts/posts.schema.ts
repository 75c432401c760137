// Inputs and wire objects of posts and likes; the socket commands validate with these same schemas.
import { z } from '@hono/zod-openapi';
import { MediaSchema, mediaIdsSchema } from '../media/media.schema.ts';
import { UserRefSchema } from '../social/social.schema.ts';

export const POST_BODY_MAX = 5000;

/** Trimmed, then 1..5000 characters: whitespace only is empty, hence validation_failed. */
export const postBodySchema = z.string().trim().min(1, 'must not be empty').max(POST_BODY_MAX);

export const postIdSchema = z
  .uuid()
  .toLowerCase()
  .openapi({ param: { name: 'id', in: 'path' } });
export const postIdParams = z.object({ id: postIdSchema });

/** A post with photos may have no words (API.md "Objects, extended"). */
const optionalBodySchema = z.string().trim().max(POST_BODY_MAX).default('');

export const createPostSchema = z
  .object({
    body: optionalBodySchema,
    mediaIds: mediaIdsSchema.optional().openapi({
      description: 'Your own ready, unattached media, in the order to show them (at most 4)',
    }),
  })
  .refine((post) => post.body.length > 0 || (post.mediaIds?.length ?? 0) > 0, {
    message: 'must not be empty (write something or attach a photo)',
    path: ['body'],
  })
  .openapi('CreatePost');
export type CreatePostInput = z.infer<typeof createPostSchema>;

/** The REST edit's body; empty only on a post with photos (the service checks). */
export const editPostSchema = z.object({ body: optionalBodySchema }).openapi('EditPost');

/** `post:update`: the REST route takes the id from the path and the same body rule. */
export const updatePostSchema = z.object({ id: z.uuid().toLowerCase(), body: optionalBodySchema });
export type UpdatePostInput = z.infer<typeof updatePostSchema>;

export const deletePostSchema = z.object({ id: z.uuid().toLowerCase() });

/** `post:like` / `post:unlike`; REST takes the id from the path. */
export const likeInputSchema = z.object({ postId: z.uuid().toLowerCase() });
export type LikeInput = z.infer<typeof likeInputSchema>;

export const PostSchema = z
  .object({
    id: z.string(),
    author: UserRefSchema,
    body: z.string(),
    media: z.array(MediaSchema),
    createdAt: z.string(),
    editedAt: z.string().nullable(),
    likeCount: z.number().int(),
    commentCount: z.number().int(),
    likedByMe: z.boolean(),
  })
  .openapi('Post');

export const LikeStateSchema = z
  .object({ liked: z.boolean(), likeCount: z.number().int() })
  .openapi('LikeState');
