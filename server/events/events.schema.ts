// Inputs and wire objects of events and participation; the socket commands validate with these same schemas.
import { z } from '@hono/zod-openapi';
import { orNull } from '../http/openapi.ts';
import { MediaSchema, mediaIdSchema } from '../media/media.schema.ts';
import { UserRefSchema } from '../social/social.schema.ts';

/** Limits of the text fields (API.md "Events"); the migration's checks say the same. */
export const EVENT_LIMITS = {
  title: 120,
  summary: 280,
  description: 10_000,
  location: 200,
  capacity: 100_000,
  priceCents: 100_000_000,
  rejectReason: 500,
} as const;

const isoTime = z.iso.datetime({ offset: true }).openapi({ example: '2030-05-01T18:00:00Z' });

const fields = {
  title: z.string().trim().min(1, 'must not be empty').max(EVENT_LIMITS.title),
  summary: z.string().trim().max(EVENT_LIMITS.summary),
  description: z.string().trim().min(1, 'must not be empty').max(EVENT_LIMITS.description),
  location: z.string().trim().max(EVENT_LIMITS.location),
  startsAt: isoTime,
  endsAt: isoTime,
  capacity: z.number().int().min(1).max(EVENT_LIMITS.capacity).nullable(),
  priceCents: z.number().int().min(0).max(EVENT_LIMITS.priceCents),
};

export const createEventSchema = z
  .object({
    title: fields.title,
    summary: fields.summary.optional(),
    description: fields.description,
    location: fields.location.optional(),
    startsAt: fields.startsAt,
    endsAt: fields.endsAt,
    capacity: fields.capacity.optional(),
    priceCents: fields.priceCents.optional(),
    coverMediaId: mediaIdSchema.optional().openapi({
      description: 'Your own ready, unattached media, shown as a 1600×900 cover',
    }),
  })
  .openapi('CreateEvent');
export type CreateEventInput = z.infer<typeof createEventSchema>;

/** PATCH: any subset of the fields; the merged event is checked by the same rules as a new one. */
export const updateEventSchema = z
  .object({
    title: fields.title.optional(),
    summary: fields.summary.optional(),
    description: fields.description.optional(),
    location: fields.location.optional(),
    startsAt: fields.startsAt.optional(),
    endsAt: fields.endsAt.optional(),
    capacity: fields.capacity.optional(),
    priceCents: fields.priceCents.optional(),
    coverMediaId: mediaIdSchema.nullable().optional().openapi({
      description: 'A new cover (your own ready, unattached media), or null to remove the cover',
    }),
  })
  .refine((value) => Object.values(value).some((v) => v !== undefined), 'change at least one field')
  .openapi('UpdateEvent');
export type UpdateEventInput = z.infer<typeof updateEventSchema>;

export const rejectEventSchema = z
  .object({ reason: z.string().trim().min(1, 'must not be empty').max(EVENT_LIMITS.rejectReason) })
  .openapi('RejectEvent');
export type RejectEventInput = z.infer<typeof rejectEventSchema>;

export const eventIdParams = z.object({
  id: z
    .uuid()
    .toLowerCase()
    .openapi({ param: { name: 'id', in: 'path' } }),
});

/** `event:join` / `event:leave`; REST takes the id from the path. */
export const participationInputSchema = z.object({ eventId: z.uuid().toLowerCase() });
export type ParticipationInput = z.infer<typeof participationInputSchema>;

const participationStatus = z.enum(['going', 'waitlisted', 'pending_payment']);

export const EventSchema = z
  .object({
    id: z.string(),
    organizer: UserRefSchema,
    title: z.string(),
    summary: z.string(),
    description: z.string(),
    location: z.string(),
    startsAt: z.string(),
    endsAt: z.string(),
    capacity: z.number().int().nullable(),
    priceCents: z.number().int(),
    status: z.enum(['published', 'cancelled', 'rejected']),
    goingCount: z.number().int(),
    waitlistCount: z.number().int(),
    myStatus: participationStatus.nullable(),
    cover: orNull(MediaSchema),
  })
  .openapi('Event');

export const ParticipationStateSchema = z
  .object({
    status: participationStatus.nullable(),
    goingCount: z.number().int(),
    waitlistCount: z.number().int(),
  })
  .openapi('ParticipationState');

export const ParticipantSchema = z
  .object({ user: UserRefSchema, status: participationStatus, joinedAt: z.string() })
  .openapi('Participant');
