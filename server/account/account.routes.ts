// REST of account self-service under /api/v1 (API.md "Profiles and account self-service"): the profile,
// password and email changes, and the security log. Every route needs a signed-in user.
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { Actor } from '../auth/actor.ts';
import type { AuthContext, ClientInfo } from '../auth/auth.context.ts';
import { MeSchema } from '../auth/auth.schema.ts';
import { requireActor } from '../auth/session.middleware.ts';
import { createApiRouter } from '../http/api.ts';
import { clientIp } from '../http/client-ip.ts';
import type { AppEnv } from '../http/env.ts';
import { errorResponses, jsonBody, jsonResponse, noContent } from '../http/openapi.ts';
import { pageQuerySchema } from '../lib/pagination.ts';
import {
  changeEmailSchema,
  changePasswordSchema,
  SecurityEventPageSchema,
  updateProfileSchema,
  verifyEmailChangeSchema,
} from './account.schema.ts';
import { requestEmailChange, verifyEmailChange } from './email-change.ts';
import { changePassword } from './password-change.ts';
import { updateProfile } from './profile.ts';
import { listSecurityEvents } from './security-log.ts';

/** The tag of `/me` (sessions.routes.ts). */
const tags = ['Accounts'];

const update = createRoute({
  method: 'patch',
  path: '/me',
  operationId: 'meUpdate',
  tags,
  summary: 'Change your display name and bio (≤ 500 characters, plain text)',
  middleware: [requireActor] as const,
  request: { body: jsonBody(updateProfileSchema) },
  responses: { 200: jsonResponse(MeSchema, 'Me, changed'), ...errorResponses(401) },
});

const password = createRoute({
  method: 'post',
  path: '/me/password',
  operationId: 'meChangePassword',
  tags,
  summary: 'Change your password: every other session is revoked, and an email says so',
  middleware: [requireActor] as const,
  request: { body: jsonBody(changePasswordSchema) },
  responses: {
    204: noContent('Changed; this session stays, the others are revoked'),
    ...errorResponses(401, 403, 409, 429),
  },
});

const email = createRoute({
  method: 'post',
  path: '/me/email',
  operationId: 'meChangeEmail',
  tags,
  summary: 'Ask to move your account to another address: a code is emailed to it',
  middleware: [requireActor] as const,
  request: { body: jsonBody(changeEmailSchema) },
  responses: {
    202: { description: 'Accepted (the same answer whether or not the address already has an account)' },
    ...errorResponses(401, 403, 429),
  },
});

const verify = createRoute({
  method: 'post',
  path: '/me/email/verify',
  operationId: 'meVerifyEmailChange',
  tags,
  summary: 'Confirm the new address with its code; the old address is told',
  middleware: [requireActor] as const,
  request: { body: jsonBody(verifyEmailChangeSchema) },
  responses: { 200: jsonResponse(MeSchema, 'Me, with the new address'), ...errorResponses(401, 409, 429) },
});

const security = createRoute({
  method: 'get',
  path: '/me/security',
  operationId: 'meSecurity',
  tags,
  summary: 'Your security log: sign-ins, failed ones, password and email changes…, newest first',
  middleware: [requireActor] as const,
  request: { query: pageQuerySchema },
  responses: { 200: jsonResponse(SecurityEventPageSchema, 'A page of the log'), ...errorResponses(401) },
});

export function accountRoutes(ctx: AuthContext): OpenAPIHono<AppEnv> {
  // requireActor has run: the actor is there.
  const actorOf = (c: { var: { actor: Actor | null } }) => c.var.actor as Actor;
  const client = (c: Context<AppEnv>): ClientInfo => ({
    ip: clientIp(c, ctx.config.trustProxy),
    userAgent: c.req.header('user-agent') ?? '',
  });
  return createApiRouter<AppEnv>()
    .openapi(update, async (c) => c.json(await updateProfile(ctx, actorOf(c), c.req.valid('json')), 200))
    .openapi(password, async (c) => {
      await changePassword(ctx, actorOf(c), c.req.valid('json'), client(c));
      return c.body(null, 204);
    })
    .openapi(email, async (c) => {
      await requestEmailChange(ctx, actorOf(c), c.req.valid('json'));
      return c.body(null, 202);
    })
    .openapi(verify, async (c) =>
      c.json(await verifyEmailChange(ctx, actorOf(c), c.req.valid('json').code, client(c)), 200),
    )
    .openapi(security, async (c) =>
      c.json(await listSecurityEvents(ctx.db, actorOf(c).userId, c.req.valid('query')), 200),
    );
}
