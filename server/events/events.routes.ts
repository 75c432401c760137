// REST routes of events and participation: validate → service → JSON. No SQL, no rules here.
import { createRoute } from '@hono/zod-openapi';
import { requireActor } from '../auth/session.middleware.ts';
import type { Deps } from '../deps.ts';
import { createApiRouter } from '../http/api.ts';
import type { AppEnv } from '../http/env.ts';
import { errorResponses, jsonBody, jsonResponse, pageOf } from '../http/openapi.ts';
import { pageQuerySchema } from '../lib/pagination.ts';
import { joinEvent, leaveEvent, listParticipants } from './events.participation.ts';
import {
  createEventSchema,
  EventSchema,
  eventIdParams,
  ParticipantSchema,
  ParticipationStateSchema,
  rejectEventSchema,
  updateEventSchema,
} from './events.schema.ts';
import {
  cancelEvent,
  createEvent,
  getEvent,
  listEvents,
  rejectEvent,
  updateEventDetails,
} from './events.service.ts';

const tags = ['Events'];

const list = createRoute({
  method: 'get',
  path: '/events',
  operationId: 'eventsList',
  tags,
  summary: 'Upcoming published events (not yet ended), soonest first',
  request: { query: pageQuerySchema },
  responses: { 200: jsonResponse(pageOf(EventSchema), 'A page of events'), ...errorResponses() },
});

const create = createRoute({
  method: 'post',
  path: '/events',
  operationId: 'eventsCreate',
  tags,
  summary: 'Create an event (priceCents > 0: joining buys a ticket); EVENTS_PER_HOUR per user',
  middleware: [requireActor] as const,
  request: { body: jsonBody(createEventSchema) },
  responses: { 201: jsonResponse(EventSchema, 'The new event'), ...errorResponses(401, 429) },
});

const read = createRoute({
  method: 'get',
  path: '/events/{id}',
  operationId: 'eventsGet',
  tags,
  summary: 'One event (a rejected one only for its organizer and moderators)',
  request: { params: eventIdParams },
  responses: { 200: jsonResponse(EventSchema, 'The event'), ...errorResponses(404) },
});

const update = createRoute({
  method: 'patch',
  path: '/events/{id}',
  operationId: 'eventsUpdate',
  tags,
  summary: 'Edit an event (organizer); a new start time reschedules reminders',
  middleware: [requireActor] as const,
  request: { params: eventIdParams, body: jsonBody(updateEventSchema) },
  responses: { 200: jsonResponse(EventSchema, 'The edited event'), ...errorResponses(401, 403, 404, 409) },
});

const cancel = createRoute({
  method: 'post',
  path: '/events/{id}/cancel',
  operationId: 'eventsCancel',
  tags,
  summary: 'Cancel an event (organizer or moderator); participants are notified, tickets refunded',
  middleware: [requireActor] as const,
  request: { params: eventIdParams },
  responses: { 200: jsonResponse(EventSchema, 'The cancelled event'), ...errorResponses(401, 403, 404, 409) },
});

const reject = createRoute({
  method: 'post',
  path: '/events/{id}/reject',
  operationId: 'eventsReject',
  tags,
  summary: 'Reject an event (moderator); it leaves the listings',
  middleware: [requireActor] as const,
  request: { params: eventIdParams, body: jsonBody(rejectEventSchema) },
  responses: { 200: jsonResponse(EventSchema, 'The rejected event'), ...errorResponses(401, 403, 404, 409) },
});

const join = createRoute({
  method: 'put',
  path: '/events/{id}/participation',
  operationId: 'eventsJoin',
  tags,
  summary:
    'Join (idempotent): going while seats remain, else waitlisted; a paid event: pending_payment until the ticket settles (409 when the balance is too low; counts as a transfer)',
  middleware: [requireActor] as const,
  request: { params: eventIdParams },
  responses: {
    200: jsonResponse(ParticipationStateSchema, 'Your participation and the counts'),
    ...errorResponses(401, 404, 409, 429),
  },
});

const leave = createRoute({
  method: 'delete',
  path: '/events/{id}/participation',
  operationId: 'eventsLeave',
  tags,
  summary:
    'Leave (idempotent); a freed seat promotes the first waitlisted; a paid ticket is refunded before the start',
  middleware: [requireActor] as const,
  request: { params: eventIdParams },
  responses: {
    200: jsonResponse(ParticipationStateSchema, 'status null and the counts'),
    ...errorResponses(401, 404, 429),
  },
});

const participants = createRoute({
  method: 'get',
  path: '/events/{id}/participants',
  operationId: 'eventsParticipants',
  tags,
  summary: 'Participants in join order',
  request: { params: eventIdParams, query: pageQuerySchema },
  responses: {
    200: jsonResponse(pageOf(ParticipantSchema), 'A page of participants'),
    ...errorResponses(404),
  },
});

export function eventRoutes(deps: Deps) {
  const router = createApiRouter<AppEnv>();
  router.openapi(list, async (c) => c.json(await listEvents(deps, c.var.actor, c.req.valid('query')), 200));
  router.openapi(create, async (c) => c.json(await createEvent(deps, c.var.actor, c.req.valid('json')), 201));
  router.openapi(read, async (c) => c.json(await getEvent(deps, c.var.actor, c.req.valid('param').id), 200));
  router.openapi(update, async (c) =>
    c.json(await updateEventDetails(deps, c.var.actor, c.req.valid('param').id, c.req.valid('json')), 200),
  );
  router.openapi(cancel, async (c) =>
    c.json(await cancelEvent(deps, c.var.actor, c.req.valid('param').id), 200),
  );
  router.openapi(reject, async (c) =>
    c.json(await rejectEvent(deps, c.var.actor, c.req.valid('param').id, c.req.valid('json')), 200),
  );
  router.openapi(join, async (c) =>
    c.json(await joinEvent(deps, c.var.actor, { eventId: c.req.valid('param').id }), 200),
  );
  router.openapi(leave, async (c) =>
    c.json(await leaveEvent(deps, c.var.actor, { eventId: c.req.valid('param').id }), 200),
  );
  router.openapi(participants, async (c) =>
    c.json(await listParticipants(deps, c.var.actor, c.req.valid('param').id, c.req.valid('query')), 200),
  );
  return router;
}
