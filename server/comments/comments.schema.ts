// Inputs and wire objects of comments; the socket commands validate with these same schemas.
import { z } from '@hono/zod-openapi';
import { UserRefSchema } from '../social/social.schema.ts';

export const COMMENT_BODY_MAX = 2000;

/** Trimmed, then 1..2000 characters. */
export const commentBodySchema = z.string().trim().min(1, 'must not be empty').max(COMMENT_BODY_MAX);

export const commentIdParams = z.object({
  id: z
    .uuid()
    .toLowerCase()
    .openapi({ param: { name: 'id', in: 'path' } }),
});

/** REST body of `POST /posts/:id/comments` (the post id comes from the path). */
export const commentBodyInput = z.object({ body: commentBodySchema }).openapi('CreateComment');

/** `comment:create`: the same body rule plus the post id. */
export const createCommentSchema = z.object({ postId: z.uuid().toLowerCase(), body: commentBodySchema });
export type CreateCommentInput = z.infer<typeof createCommentSchema>;

export const deleteCommentSchema = z.object({ id: z.uuid().toLowerCase() });

export const CommentSchema = z
  .object({
    id: z.string(),
    postId: z.string(),
    author: UserRefSchema,
    body: z.string(),
    createdAt: z.string(),
  })
  .openapi('Comment');
