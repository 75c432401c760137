// Inputs and wire objects of reports, the moderation queue, the audit log and the admin user list (REST and
// the `report:create` command share these).
import { z } from '@hono/zod-openapi';
import { orNull, pageOf } from '../http/openapi.ts';
import { pageQuerySchema } from '../lib/pagination.ts';
import { UserRefSchema, UserSchema } from '../social/social.schema.ts';
import { AUDIT_ACTIONS } from './audit.ts';

export const REPORT_COMMENT_CHARS = 1_000;
export const RESOLVE_NOTE_CHARS = 1_000;

const targetType = z.enum(['post', 'comment', 'user', 'event']);
const category = z.enum(['spam', 'harassment', 'illegal', 'other']);
const action = z.enum(['dismiss', 'remove_content', 'suspend_user']);

export const createReportSchema = z.object({
  target: z.object({ type: targetType, id: z.uuid() }),
  category,
  comment: z
    .string()
    .trim()
    .max(REPORT_COMMENT_CHARS, `at most ${REPORT_COMMENT_CHARS} characters`)
    .optional()
    .openapi({ description: 'What the moderators should know (at most 1,000 characters)' }),
});
export type CreateReportInput = z.infer<typeof createReportSchema>;

export const resolveReportSchema = z.object({
  action,
  note: z
    .string()
    .trim()
    .max(RESOLVE_NOTE_CHARS, `at most ${RESOLVE_NOTE_CHARS} characters`)
    .default('')
    .openapi({ description: 'The reason, told to the target of a removal or suspension' }),
});
export type ResolveReportInput = z.infer<typeof resolveReportSchema>;

export const reportIdParams = z.object({ id: z.uuid().openapi({ param: { name: 'id', in: 'path' } }) });

export const reportListQuery = pageQuerySchema.extend({
  status: z.enum(['open', 'resolved']).default('open').openapi({ description: 'open (default) or resolved' }),
});
export type ReportListQuery = z.infer<typeof reportListQuery>;

export const auditQuery = pageQuerySchema.extend({
  actor: z.string().min(1).max(30).optional().openapi({ description: "The actor's username" }),
  action: z.enum(AUDIT_ACTIONS).optional(),
});

export const adminUsersQuery = pageQuerySchema.extend({
  query: z.string().trim().max(100).optional().openapi({ description: 'Part of a username, name or email' }),
  role: z.enum(['member', 'moderator', 'admin']).optional(),
  status: z.enum(['active', 'suspended']).optional(),
});
export type AdminUsersQuery = z.infer<typeof adminUsersQuery>;

const SnapshotSchema = z
  .object({
    author: orNull(UserRefSchema),
    title: z.string().nullable(),
    text: z.string(),
    url: z.string(),
    createdAt: z.string().nullable(),
  })
  .openapi('ReportSnapshot', { description: 'The reported content as it was when reported' });

export const ReportSchema = z
  .object({
    id: z.string(),
    reporter: UserRefSchema,
    target: z.object({ type: targetType, id: z.string(), snapshot: SnapshotSchema }),
    category,
    comment: z.string(),
    status: z.enum(['open', 'resolved']),
    action: action.nullable(),
    note: z.string(),
    resolvedBy: orNull(UserRefSchema),
    createdAt: z.string(),
    resolvedAt: z.string().nullable(),
  })
  .openapi('Report');

export const AuditEntrySchema = z
  .object({
    id: z.string(),
    actor: UserRefSchema,
    action: z.string(),
    target: z.object({ type: z.string(), id: z.string() }),
    note: z.string(),
    at: z.string(),
  })
  .openapi('AuditEntry');

export const AdminUserSchema = z
  .object({
    user: UserSchema,
    email: z.string(),
    role: z.enum(['member', 'moderator', 'admin']),
    status: z.enum(['active', 'suspended']),
    createdAt: z.string(),
    lastSeenAt: z.string().nullable(),
    openReports: z.number().int(),
  })
  .openapi('AdminUser');

export const ReportPageSchema = pageOf(ReportSchema).openapi('ReportPage');
export const AuditPageSchema = pageOf(AuditEntrySchema).openapi('AuditPage');
export const AdminUserPageSchema = pageOf(AdminUserSchema).openapi('AdminUserPage');
