// The event pages' writes without the script: each form posts here and the same API route does it.
import type { Hono } from 'hono';
import type { AppEnv } from '../http/env.ts';
import { eventBody, utcFieldTime } from './components/event-fields.ts';
import { formRoute } from './forms.ts';
import type { PageDeps } from './page-context.ts';

const eventPath = (id: string | undefined) => `/events/${encodeURIComponent(id ?? '')}`;
const idOf = (data: unknown) => (data as { id?: string } | null)?.id;

export function eventForms(pages: Hono<AppEnv>, deps: PageDeps): void {
  formRoute(pages, deps, '/events/new', {
    // No script, no zone: the form says its times are UTC, and they are read so.
    call: (fields) => ({
      method: 'POST',
      path: '/events',
      body: eventBody(fields, deps.currency, utcFieldTime),
    }),
    done: 'Event created.',
    next: (data) => eventPath(idOf(data)),
  });
  formRoute(pages, deps, '/events/:id/edit', {
    call: (fields, c) => ({
      method: 'PATCH',
      path: eventPath(c.req.param('id')),
      body: eventBody(fields, deps.currency, utcFieldTime),
    }),
    done: 'Event updated.',
    next: (data) => eventPath(idOf(data)),
  });
  formRoute(pages, deps, '/events/:id/cancel', {
    call: (_fields, c) => ({ method: 'POST', path: `${eventPath(c.req.param('id'))}/cancel` }),
    done: 'Event cancelled. Participants are told, and tickets refunded.',
    next: (data) => eventPath(idOf(data)),
  });
  formRoute(pages, deps, '/events/:id/join', {
    call: (_fields, c) => ({ method: 'PUT', path: `${eventPath(c.req.param('id'))}/participation` }),
  });
  formRoute(pages, deps, '/events/:id/leave', {
    call: (_fields, c) => ({ method: 'DELETE', path: `${eventPath(c.req.param('id'))}/participation` }),
  });
}
