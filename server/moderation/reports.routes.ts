// REST of reports and moderation (API.md "Safety"): POST /reports, the moderators' queue and resolution, the
// admins' audit log, the moderators' user list and unsuspension.
import { createRoute } from '@hono/zod-openapi';
import { unsuspendUser } from '../admin/admin.service.ts';
import type { Actor } from '../auth/actor.ts';
import { requireActor, requireRole } from '../auth/session.middleware.ts';
import type { Deps } from '../deps.ts';
import { createApiRouter } from '../http/api.ts';
import type { AppEnv } from '../http/env.ts';
import { errorResponses, jsonBody, jsonResponse, noContent } from '../http/openapi.ts';
import { mediaStoreOf } from '../media/store.factory.ts';
import { usernameParams } from '../social/social.schema.ts';
import { listAdminUsers } from './admin-users.ts';
import { listAudit } from './audit.ts';
import {
  AdminUserPageSchema,
  AuditPageSchema,
  adminUsersQuery,
  auditQuery,
  createReportSchema,
  ReportPageSchema,
  ReportSchema,
  reportIdParams,
  reportListQuery,
  resolveReportSchema,
} from './reports.schema.ts';
import { createReport, listReports, resolveReport } from './reports.service.ts';

const tags = ['Moderation'];

const create = createRoute({
  method: 'post',
  path: '/reports',
  operationId: 'reportsCreate',
  tags,
  summary:
    'Report a post, comment, user or event (10 an hour); your open report on the same target is answered again (200)',
  middleware: requireActor,
  request: { body: jsonBody(createReportSchema) },
  responses: {
    201: jsonResponse(ReportSchema, 'The report, filed'),
    200: jsonResponse(ReportSchema, 'Your open report on this target, unchanged'),
    ...errorResponses(400, 401, 404, 429),
  },
});

const queue = createRoute({
  method: 'get',
  path: '/admin/reports',
  operationId: 'adminReports',
  tags,
  summary: 'Reports by status: open ones oldest first (moderator)',
  middleware: [requireRole('moderator')] as const,
  request: { query: reportListQuery },
  responses: { 200: jsonResponse(ReportPageSchema, 'A page of reports'), ...errorResponses(400, 401, 403) },
});

const resolve = createRoute({
  method: 'post',
  path: '/admin/reports/{id}/resolve',
  operationId: 'adminResolveReport',
  tags,
  summary:
    'Resolve a report with an action applied in the same transaction; every other open report on the target too (moderator)',
  middleware: [requireRole('moderator')] as const,
  request: { params: reportIdParams, body: jsonBody(resolveReportSchema) },
  responses: {
    200: jsonResponse(ReportSchema, 'The resolved report'),
    ...errorResponses(400, 401, 403, 404, 409),
  },
});

const audit = createRoute({
  method: 'get',
  path: '/admin/audit',
  operationId: 'adminAudit',
  tags,
  summary: "The audit log of moderators' and admins' actions, newest first (admin)",
  middleware: [requireRole('admin')] as const,
  request: { query: auditQuery },
  responses: {
    200: jsonResponse(AuditPageSchema, 'A page of audit entries'),
    ...errorResponses(400, 401, 403),
  },
});

const users = createRoute({
  method: 'get',
  path: '/admin/users',
  operationId: 'adminUsers',
  tags,
  summary: 'Accounts, newest first, searched by name or email and filtered by role and status (moderator)',
  middleware: [requireRole('moderator')] as const,
  request: { query: adminUsersQuery },
  responses: {
    200: jsonResponse(AdminUserPageSchema, 'A page of accounts'),
    ...errorResponses(400, 401, 403),
  },
});

const unsuspend = createRoute({
  method: 'post',
  path: '/admin/users/{username}/unsuspend',
  operationId: 'adminUnsuspend',
  tags,
  summary: 'Lift a suspension (moderator, over a lower role)',
  middleware: [requireRole('moderator')] as const,
  request: { params: usernameParams },
  responses: { 204: noContent('Unsuspended'), ...errorResponses(401, 403, 404) },
});

export function moderationRoutes(deps: Deps) {
  // The role guard has run: the actor is there.
  const actorOf = (c: { var: { actor: Actor | null } }) => c.var.actor as Actor;
  const router = createApiRouter<AppEnv>();
  router.openapi(create, async (c) => {
    const { report, created } = await createReport(deps, c.var.actor, c.req.valid('json'));
    return created ? c.json(report, 201) : c.json(report, 200);
  });
  router.openapi(queue, async (c) => c.json(await listReports(deps, c.var.actor, c.req.valid('query')), 200));
  router.openapi(resolve, async (c) =>
    c.json(await resolveReport(deps, c.var.actor, c.req.valid('param').id, c.req.valid('json')), 200),
  );
  router.openapi(audit, async (c) =>
    c.json(await listAudit(deps.db, c.req.valid('query'), mediaStoreOf(deps.config)), 200),
  );
  router.openapi(users, async (c) =>
    c.json(await listAdminUsers(deps, c.var.actor, c.req.valid('query')), 200),
  );
  router.openapi(unsuspend, async (c) => {
    await unsuspendUser(deps, actorOf(c), c.req.valid('param').username);
    return c.body(null, 204);
  });
  return router;
}
