// Account routes under /api/v1/auth: CAPTCHA, registration, verification, login (password or code), reset.
import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { createApiRouter } from '../http/api.ts';
import { clientIp } from '../http/client-ip.ts';
import type { AppEnv } from '../http/env.ts';
import { errorResponses, jsonBody, jsonResponse, noContent } from '../http/openapi.ts';
import {
  login,
  register,
  requestLoginCode,
  resendVerification,
  verifyEmail,
  verifyLoginCode,
} from './accounts.service.ts';
import type { AuthContext, ClientInfo } from './auth.context.ts';
import {
  CaptchaChallengeSchema,
  emailOnlySchema,
  emailWithCaptchaSchema,
  loginSchema,
  MeSchema,
  registerSchema,
  resetPasswordSchema,
  SignedInSchema,
  verifyCodeSchema,
} from './auth.schema.ts';
import { createCaptcha } from './captcha.ts';
import { forgotPassword, resetPassword } from './password-reset.service.ts';
import { setSessionCookie } from './session.middleware.ts';
import type { SignedIn } from './sessions.service.ts';

const tags = ['Accounts'];
const accepted = { description: 'Accepted (the same answer whether or not the account exists)' };

// Sign-up and sign-in take no credential: documented as public (no padlock), whatever the caller holds.
const publicAccess = { security: [] };

const post = <B extends z.ZodType>(operationId: string, path: string, summary: string, body: B) =>
  ({
    method: 'post',
    path,
    operationId,
    tags,
    summary,
    ...publicAccess,
    request: { body: jsonBody(body) },
  }) as const;

export function authRoutes(ctx: AuthContext): OpenAPIHono<AppEnv> {
  const secure = ctx.config.publicUrl.protocol === 'https:';
  const client = (c: Context<AppEnv>): ClientInfo => ({
    ip: clientIp(c, ctx.config.trustProxy),
    userAgent: c.req.header('user-agent') ?? '',
  });
  /** The session goes to the client twice: as the cookie (pages) and in the body (bearer clients). */
  const signedIn = (c: Context<AppEnv>, result: SignedIn) => {
    setSessionCookie(c, result.token, new Date(result.expiresAt), secure);
    return result;
  };

  return createApiRouter<AppEnv>()
    .openapi(
      createRoute({
        method: 'get',
        path: '/auth/captcha',
        operationId: 'authCaptcha',
        tags,
        ...publicAccess,
        summary: 'A fresh ALTCHA challenge (SHA-256, expires in 10 minutes)',
        responses: { 200: jsonResponse(CaptchaChallengeSchema, 'The challenge'), ...errorResponses() },
      }),
      async (c) => {
        c.header('Cache-Control', 'no-store');
        return c.json(await createCaptcha(ctx.captcha), 200);
      },
    )
    .openapi(
      createRoute({
        ...post(
          'authRegister',
          '/auth/register',
          'Create an account; a 6-digit code is emailed',
          registerSchema,
        ),
        responses: {
          201: jsonResponse(z.object({ user: MeSchema }), 'Created, not yet verified'),
          ...errorResponses(409, 429),
        },
      }),
      async (c) => c.json(await register(ctx, c.req.valid('json'), client(c)), 201),
    )
    .openapi(
      createRoute({
        ...post(
          'authVerifyEmail',
          '/auth/verify-email',
          'Verify the email with its code; signs in',
          verifyCodeSchema,
        ),
        responses: {
          200: jsonResponse(SignedInSchema, 'Signed in (and cookie set)'),
          ...errorResponses(403, 429),
        },
      }),
      async (c) => c.json(signedIn(c, await verifyEmail(ctx, c.req.valid('json'), client(c))), 200),
    )
    .openapi(
      createRoute({
        ...post(
          'authResendVerification',
          '/auth/verify-email/resend',
          'Email a new verification code',
          emailOnlySchema,
        ),
        responses: { 202: accepted, ...errorResponses(429) },
      }),
      async (c) => {
        await resendVerification(ctx, c.req.valid('json').email, client(c));
        return c.body(null, 202);
      },
    )
    .openapi(
      createRoute({
        ...post('authLogin', '/auth/login', 'Sign in with email or username and password', loginSchema),
        responses: {
          200: jsonResponse(SignedInSchema, 'Signed in (and cookie set)'),
          ...errorResponses(401, 403, 429),
        },
      }),
      async (c) => c.json(signedIn(c, await login(ctx, c.req.valid('json'), client(c))), 200),
    )
    .openapi(
      createRoute({
        ...post(
          'authRequestLoginCode',
          '/auth/login-code',
          'Email a one-time sign-in code',
          emailWithCaptchaSchema,
        ),
        responses: { 202: accepted, ...errorResponses(429) },
      }),
      async (c) => {
        await requestLoginCode(ctx, c.req.valid('json'), client(c));
        return c.body(null, 202);
      },
    )
    .openapi(
      createRoute({
        ...post(
          'authVerifyLoginCode',
          '/auth/login-code/verify',
          'Sign in with an emailed code',
          verifyCodeSchema,
        ),
        responses: {
          200: jsonResponse(SignedInSchema, 'Signed in (and cookie set)'),
          ...errorResponses(403, 429),
        },
      }),
      async (c) => c.json(signedIn(c, await verifyLoginCode(ctx, c.req.valid('json'), client(c))), 200),
    )
    .openapi(
      createRoute({
        ...post(
          'authForgotPassword',
          '/auth/password/forgot',
          'Email a password-reset link',
          emailWithCaptchaSchema,
        ),
        responses: { 202: accepted, ...errorResponses(429) },
      }),
      async (c) => {
        await forgotPassword(ctx, c.req.valid('json'), client(c));
        return c.body(null, 202);
      },
    )
    .openapi(
      createRoute({
        ...post(
          'authResetPassword',
          '/auth/password/reset',
          'Set a new password with the emailed token; revokes every session',
          resetPasswordSchema,
        ),
        responses: { 204: noContent('Password changed, every session revoked'), ...errorResponses(429) },
      }),
      async (c) => {
        await resetPassword(ctx, c.req.valid('json'), client(c));
        return c.body(null, 204);
      },
    );
}
