// Inputs and answers of the account routes (zod, also the OpenAPI document), with API.md's limits.
import { z } from '@hono/zod-openapi';
import { AvatarSchema } from '../social/social.schema.ts';

/** The longest display name; the sign-up form states it before it is hit. */
export const DISPLAY_NAME_MAX = 50;

export const emailSchema = z
  .string()
  .trim()
  .max(254)
  .pipe(z.email({ message: 'must be a valid email address' }))
  .openapi({ example: 'ada@example.com' });

/** Usernames are stored lower-case: `Ada` and `ada` are the same name (case-insensitive unique). */
export const usernameSchema = z
  .string()
  .trim()
  .toLowerCase()
  .pipe(z.string().regex(/^[a-z0-9_]{3,30}$/, 'must be 3..30 of a-z, 0-9 and _'))
  .openapi({ example: 'ada_l' });

export const passwordSchema = z.string().min(8, 'must be at least 8 characters').max(256);
export const captchaSchema = z
  .string()
  .min(1)
  .max(4_096)
  .openapi({ description: 'The solved ALTCHA payload, base64 JSON' });
export const codeSchema = z
  .string()
  .trim()
  .regex(/^\d{6}$/, 'must be 6 digits')
  .openapi({ example: '123456' });

export const registerSchema = z.object({
  email: emailSchema,
  username: usernameSchema,
  password: passwordSchema,
  displayName: z.string().trim().min(1).max(DISPLAY_NAME_MAX).optional(),
  // Optional in the schema so that a missing one is `captcha_failed`, as the contract says.
  captcha: captchaSchema.optional(),
});
export const verifyCodeSchema = z.object({ email: emailSchema, code: codeSchema });
export const emailOnlySchema = z.object({ email: emailSchema });
export const emailWithCaptchaSchema = z.object({ email: emailSchema, captcha: captchaSchema.optional() });
export const loginSchema = z.object({
  login: z.string().trim().min(1).max(254).openapi({ description: 'Email or username' }),
  password: z.string().min(1).max(256),
  captcha: captchaSchema.optional(),
});
export const resetPasswordSchema = z.object({
  token: z.string().trim().min(1).max(200),
  password: passwordSchema,
});
export const sessionIdParamSchema = z.object({ id: z.string().min(1).max(64) });

export type RegisterInput = z.infer<typeof registerSchema>;
export type LoginInput = z.infer<typeof loginSchema>;
export type VerifyCodeInput = z.infer<typeof verifyCodeSchema>;
export type ResetPasswordInput = z.infer<typeof resetPasswordSchema>;

export const MeSchema = z
  .object({
    id: z.string(),
    username: z.string(),
    displayName: z.string(),
    avatarUrl: z
      .string()
      .nullable()
      .openapi({ description: 'The 96 px square avatar; null: none (show initials)' }),
    avatar: z.union([AvatarSchema, z.null()]),
    bio: z.string().openapi({ description: "Plain text, at most 500 characters; '' when none" }),
    createdAt: z.string(),
    followerCount: z.number().int(),
    followingCount: z.number().int(),
    followedByMe: z.boolean(),
    email: z.string(),
    emailVerified: z.boolean(),
    role: z.enum(['member', 'moderator', 'admin']),
  })
  .openapi('Me');

export const SignedInSchema = z
  .object({ user: MeSchema, token: z.string(), expiresAt: z.string() })
  .openapi('SignedIn');

export const CaptchaChallengeSchema = z
  .object({
    algorithm: z.string(),
    challenge: z.string(),
    maxnumber: z.number().int(),
    salt: z.string(),
    signature: z.string(),
  })
  .openapi('CaptchaChallenge');

export const SessionInfoSchema = z
  .object({
    id: z.string(),
    createdAt: z.string(),
    lastSeenAt: z.string(),
    userAgent: z.string(),
    current: z.boolean(),
  })
  .openapi('Session');
