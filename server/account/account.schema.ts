// Inputs and answers of account self-service (PATCH /me, password, email, the security log).
import { z } from '@hono/zod-openapi';
import { codeSchema, DISPLAY_NAME_MAX, emailSchema, passwordSchema } from '../auth/auth.schema.ts';
import { pageOf } from '../http/openapi.ts';

/** A profile's bio, plain text (API.md; the database checks it too, migration 0018). */
export const BIO_MAX = 500;

export const updateProfileSchema = z
  .object({
    // The rule of registration's display name.
    displayName: z.string().trim().min(1, 'must not be empty').max(DISPLAY_NAME_MAX).optional(),
    // Plain text: line breaks kept, surrounding whitespace dropped, empty clears it.
    bio: z.string().trim().max(BIO_MAX).optional(),
  })
  .openapi('UpdateProfile');

export const changePasswordSchema = z
  .object({
    currentPassword: z.string().min(1).max(256),
    // The rule of registration and reset.
    newPassword: passwordSchema,
  })
  .openapi('ChangePassword');

export const changeEmailSchema = z
  .object({ newEmail: emailSchema, password: z.string().min(1).max(256) })
  .openapi('ChangeEmail');

export const verifyEmailChangeSchema = z.object({ code: codeSchema }).openapi('VerifyEmailChange');

export const SecurityEventSchema = z
  .object({
    type: z.enum([
      'login',
      'login_failed',
      'login_code',
      'password_changed',
      'password_reset',
      'email_changed',
      'session_revoked',
      'export_requested',
      'deletion_requested',
    ]),
    at: z.string(),
    ip: z.string(),
    userAgent: z.string(),
  })
  .openapi('SecurityEvent');

export const SecurityEventPageSchema = pageOf(SecurityEventSchema).openapi('SecurityEventPage');

export type UpdateProfileInput = z.infer<typeof updateProfileSchema>;
export type ChangePasswordInput = z.infer<typeof changePasswordSchema>;
export type ChangeEmailInput = z.infer<typeof changeEmailSchema>;
