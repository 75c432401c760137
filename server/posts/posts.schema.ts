// Inputs and wire objects of posts and likes; the socket commands validate with these same schemas.
import { z } from '@hono/zod-openapi';
import { UserRefSchema } from '../social/social.schema.ts';

export const POST_BODY_MAX = 5000;

/** Trimmed, then 1..5000 characters: whitespace only is empty, hence validation_failed. */
export const postBodySchema = z.string().trim().min(1, 'must not be empty').max(POST_BODY_MAX);

export const postIdSchema = z
  .uuid()
  .toLowerCase()
  .openapi({ param: { name: 'id', in: 'path' } });
export const postIdParams = z.object({ id: postIdSchema });

export const createPostSchema = z.object({ body: postBodySchema }).openapi('CreatePost');
export type CreatePostInput = z.infer<typeof createPostSchema>;

/** `post:update`: the REST route takes the id from the path and the same body schema. */
export const updatePostSchema = z.object({ id: z.uuid().toLowerCase(), body: postBodySchema });
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
