// The forms of reports and moderation without the script (formRoute: the same API route, then 303 back with
// a flash): reporting from a post, comment, event or profile, resolving a report, (un)suspending, roles;
// and a profile's block and mute buttons.
import type { Context, Hono } from 'hono';
import type { AppEnv } from '../http/env.ts';
import { formRoute } from './forms.ts';
import type { PageDeps } from './page-context.ts';

const param = (c: Context<AppEnv>, name: string) => encodeURIComponent(c.req.param(name) ?? '');

const OUTCOME: Record<string, string> = {
  dismiss: 'Report dismissed.',
  remove_content: 'Report resolved: the content was removed.',
  suspend_user: 'Report resolved: the account was suspended.',
};

export function moderationForms(pages: Hono<AppEnv>, deps: PageDeps): void {
  formRoute(pages, deps, '/reports', {
    call: (fields) => ({
      method: 'POST',
      path: '/reports',
      body: {
        target: { type: fields.type ?? '', id: fields.id ?? '' },
        category: fields.category ?? 'other',
        ...(fields.comment?.trim() ? { comment: fields.comment } : {}),
      },
    }),
    done: 'Thank you: the moderators will review your report.',
    labels: { comment: 'Comment' },
  });
  formRoute(pages, deps, '/moderation/reports/:id/resolve', {
    call: (fields, c) => ({
      method: 'POST',
      path: `/admin/reports/${param(c, 'id')}/resolve`,
      body: { action: fields.action ?? '', note: fields.note ?? '' },
    }),
    done: (data) => OUTCOME[(data as { action?: string } | null)?.action ?? ''] ?? 'Report resolved.',
    labels: { note: 'Note', action: 'Decision' },
  });
  for (const verb of ['suspend', 'unsuspend'] as const) {
    formRoute(pages, deps, `/moderation/users/:username/${verb}`, {
      call: (_fields, c) => ({ method: 'POST', path: `/admin/users/${param(c, 'username')}/${verb}` }),
      done: verb === 'suspend' ? 'Account suspended.' : 'Suspension lifted.',
    });
  }
  formRoute(pages, deps, '/moderation/users/:username/role', {
    call: (fields, c) => ({
      method: 'PUT',
      path: `/admin/users/${param(c, 'username')}/role`,
      body: { role: fields.role ?? '' },
    }),
    done: 'Role changed.',
  });
  // Profiles: block and mute (API.md "Safety"), one POST route per action since forms cannot PUT or DELETE.
  for (const what of ['block', 'mute'] as const) {
    formRoute(pages, deps, `/u/:username/${what}`, {
      call: (_fields, c) => ({ method: 'PUT', path: `/users/${param(c, 'username')}/${what}` }),
      done:
        what === 'block'
          ? 'Blocked: neither of you sees the other now.'
          : 'Muted: you will not see their posts.',
    });
    formRoute(pages, deps, `/u/:username/un${what}`, {
      call: (_fields, c) => ({ method: 'DELETE', path: `/users/${param(c, 'username')}/${what}` }),
      done: what === 'block' ? 'Unblocked.' : 'Unmuted.',
    });
  }
}
