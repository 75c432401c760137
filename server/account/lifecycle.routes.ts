// REST of data exports and account deletion under /api/v1 (API.md "Profiles and account self-service").
// A suspended account may call these (and log out); the session middleware refuses it everything else.
import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { Actor } from '../auth/actor.ts';
import type { AuthContext, ClientInfo } from '../auth/auth.context.ts';
import { requireActor } from '../auth/session.middleware.ts';
import { createApiRouter } from '../http/api.ts';
import { clientIp } from '../http/client-ip.ts';
import type { AppEnv } from '../http/env.ts';
import { errorResponses, jsonBody, jsonResponse, orNull } from '../http/openapi.ts';
import { requestDeletion } from './deletion.ts';
import { exportDownloadUrl, listExports, requestExport } from './export.ts';

const tags = ['Accounts'];

export const ExportSchema = z
  .object({
    id: z.string(),
    status: z.enum(['pending', 'ready', 'failed']),
    bytes: orNull(z.number().int()),
    createdAt: z.string(),
    readyAt: orNull(z.string()),
    expiresAt: z.string(),
    downloadUrl: orNull(z.string()).openapi({ description: 'GET it for a 302 to the archive' }),
  })
  .openapi('DataExport');

export const deleteAccountSchema = z
  .object({ password: z.string().min(1).max(256) })
  .openapi('DeleteAccount');

const exportRoute = createRoute({
  method: 'post',
  path: '/me/export',
  operationId: 'meExport',
  tags,
  summary: 'Ask for a ZIP of your data (once a day); `export_ready` and an email bring the link',
  middleware: [requireActor] as const,
  responses: { 202: jsonResponse(ExportSchema, 'Accepted: being built'), ...errorResponses(401, 429) },
});

const exportsRoute = createRoute({
  method: 'get',
  path: '/me/exports',
  operationId: 'meExports',
  tags,
  summary: 'Your data exports of the last 7 days, newest first',
  middleware: [requireActor] as const,
  responses: { 200: jsonResponse(z.array(ExportSchema), 'Exports'), ...errorResponses(401) },
});

const downloadRoute = createRoute({
  method: 'get',
  path: '/me/exports/{id}/download',
  operationId: 'meDownloadExport',
  tags,
  summary: 'A 302 to a presigned GET of the archive, valid 5 minutes',
  middleware: [requireActor] as const,
  request: { params: z.object({ id: z.uuid() }) },
  responses: {
    302: { description: 'To the archive (Location)' },
    ...errorResponses(401, 404, 409),
  },
});

const deleteRoute = createRoute({
  method: 'delete',
  path: '/me',
  operationId: 'meDelete',
  tags,
  summary:
    'Delete your account: sessions revoked at once, content removed by a worker, a pseudonymous husk kept for the ledger',
  middleware: [requireActor] as const,
  request: { body: jsonBody(deleteAccountSchema) },
  responses: {
    202: { description: 'Accepted: signed out everywhere; your content is being removed' },
    ...errorResponses(401, 403, 409, 429),
  },
});

export function lifecycleRoutes(ctx: AuthContext): OpenAPIHono<AppEnv> {
  const actorOf = (c: { var: { actor: Actor | null } }) => c.var.actor as Actor;
  const client = (c: Context<AppEnv>): ClientInfo => ({
    ip: clientIp(c, ctx.config.trustProxy),
    userAgent: c.req.header('user-agent') ?? '',
  });
  return createApiRouter<AppEnv>()
    .openapi(exportRoute, async (c) => c.json(await requestExport(ctx, actorOf(c), client(c)), 202))
    .openapi(exportsRoute, async (c) => c.json(await listExports(ctx.db, actorOf(c).userId), 200))
    .openapi(downloadRoute, async (c) => {
      const url = await exportDownloadUrl(ctx, actorOf(c), c.req.valid('param').id);
      c.header('Cache-Control', 'no-store');
      return c.redirect(url, 302);
    })
    .openapi(deleteRoute, async (c) => {
      await requestDeletion(ctx, actorOf(c), c.req.valid('json').password, client(c));
      return c.body(null, 202);
    });
}
