// Inputs and wire objects of users and follows (REST and socket share these).
import { z } from '@hono/zod-openapi';

export const usernameSchema = z
  .string()
  .min(1)
  .max(30)
  .openapi({ param: { name: 'username', in: 'path' }, example: 'ada' });

export const usernameParams = z.object({ username: usernameSchema });

/** `user:follow` / `user:unfollow`: the same username rule as the REST path. */
export const followInputSchema = z.object({ username: usernameSchema });
export type FollowInput = z.infer<typeof followInputSchema>;

export const UserRefSchema = z
  .object({
    id: z.string(),
    username: z.string(),
    displayName: z.string(),
    avatarUrl: z
      .string()
      .nullable()
      .openapi({ description: 'The 96 px square avatar; null: none (show initials)' }),
  })
  .openapi('UserRef');

export const AvatarSchema = z
  .object({ small: z.string(), large: z.string() })
  .openapi('Avatar', { description: 'Square avatar URLs, 96 and 400 px' });

export const UserSchema = UserRefSchema.extend({
  avatar: z.union([AvatarSchema, z.null()]),
  bio: z.string().openapi({ description: "Plain text, at most 500 characters; '' when none" }),
  createdAt: z.string(),
  followerCount: z.number().int(),
  followingCount: z.number().int(),
  followedByMe: z.boolean(),
  blockedByMe: z
    .boolean()
    .optional()
    .openapi({ description: 'Whether you block this user: on GET /users/{username} when signed in' }),
  mutedByMe: z
    .boolean()
    .optional()
    .openapi({ description: 'Whether you mute this user now: on GET /users/{username} when signed in' }),
}).openapi('User');

export const FollowStateSchema = z
  .object({ following: z.boolean(), followerCount: z.number().int() })
  .openapi('FollowState');
