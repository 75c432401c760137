// Inputs and answers of blocks and mutes (REST and socket commands share these).
import { z } from '@hono/zod-openapi';
import { UserSchema, usernameSchema } from '../social/social.schema.ts';

export const blockInputSchema = z.object({ username: usernameSchema });
export type BlockInput = z.infer<typeof blockInputSchema>;

const expiresAt = z.iso.datetime({ offset: true }).openapi({
  description: 'When the mute ends by itself; absent: until unmuted',
  example: '2030-05-01T18:00:00Z',
});

/** The body of `PUT /users/:username/mute` (optional as a whole). */
export const muteBodySchema = z.object({ expiresAt: expiresAt.optional() });
/** `user:mute`: the username and the same body. */
export const muteInputSchema = z.object({ username: usernameSchema, expiresAt: expiresAt.optional() });
export type MuteInput = z.infer<typeof muteInputSchema>;

export const BlockStateSchema = z.object({ blocking: z.boolean() }).openapi('BlockState');
export const MuteStateSchema = z
  .object({ muting: z.boolean(), expiresAt: z.union([z.string(), z.null()]) })
  .openapi('MuteState');

export const MutedUserSchema = UserSchema.extend({
  expiresAt: z
    .union([z.string(), z.null()])
    .openapi({ description: 'When the mute ends; null: until unmuted' }),
}).openapi('MutedUser');
