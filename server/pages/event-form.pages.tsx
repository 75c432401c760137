// Creating and editing an event, cancelling it (a confirmation page, so it works without the script), and
// its participants. Every form posts to events.forms.ts; the bundle (client/events.ts) does the same live.
import type { Participant } from '@plaza/client';
import type { Event, Page } from '@plaza/client/protocol';
import type { Context, Hono } from 'hono';
import { EVENT_LIMITS } from '../events/events.schema.ts';
import type { AppEnv } from '../http/env.ts';
import { Avatar } from './components/avatar.tsx';
import { majorUnits, utcInputValue } from './components/event-fields.ts';
import { countOf } from './components/format.ts';
import { SingleUpload } from './components/single-upload.tsx';
import { Time } from './components/time.tsx';
import { eventForms } from './events.forms.ts';
import { takeFlash } from './flash.ts';
import { Layout } from './layout.tsx';
import { NotFoundPage } from './not-found.tsx';
import { loadViewer, type PageDeps } from './page-context.ts';

/** "0 / 120" before the script counts as the person types. */
const Counter = ({ name, max }: { name: string; max: number }) => (
  <small class="counter" data-for={name} aria-live="polite">
    up to {max.toLocaleString('en')} characters
  </small>
);

/** The cover (a 1600×900 crop): chosen and uploaded by the bundle, sent as coverMediaId with the form. */
function CoverField({ event }: { event: Event | null }) {
  const cover = event?.cover?.url ?? null;
  return (
    <fieldset class="cover-field" id="cover-field" data-has-cover={cover ? 'true' : 'false'}>
      <legend>Cover image (optional)</legend>
      <img
        class="cover-preview"
        id="cover-preview"
        src={cover ?? undefined}
        alt={event?.cover?.description ?? ''}
        width="1600"
        height="900"
        hidden={!cover}
      />
      <SingleUpload
        id="cover-upload"
        label={cover ? 'Choose another cover' : 'Choose a cover'}
        note="Choosing a cover image needs JavaScript; everything else here works without it."
      />
      <button type="button" class="secondary" id="cover-remove" hidden>
        Remove cover
      </button>
    </fieldset>
  );
}

function EventForm({ event, currency, action }: { event: Event | null; currency: string; action: string }) {
  return (
    <form id="event-form" class="card stack" method="post" action={action} data-currency={currency}>
      <input type="hidden" name="back" value={action} />
      <label>
        Title
        <input
          name="title"
          required
          data-max={String(EVENT_LIMITS.title)}
          data-noun="Title"
          value={event?.title ?? ''}
        />
        <Counter name="title" max={EVENT_LIMITS.title} />
      </label>
      <label>
        Summary (shown in the listing, optional)
        <input
          name="summary"
          data-max={String(EVENT_LIMITS.summary)}
          data-noun="Summary"
          value={event?.summary ?? ''}
        />
        <Counter name="summary" max={EVENT_LIMITS.summary} />
      </label>
      <label>
        Description
        <textarea
          name="description"
          required
          data-max={String(EVENT_LIMITS.description)}
          data-noun="Description"
          rows={6}
        >
          {event?.description ?? ''}
        </textarea>
        <Counter name="description" max={EVENT_LIMITS.description} />
      </label>
      <label>
        Location
        <input
          name="location"
          data-max={String(EVENT_LIMITS.location)}
          data-noun="Location"
          value={event?.location ?? ''}
        />
        <Counter name="location" max={EVENT_LIMITS.location} />
      </label>
      <CoverField event={event} />
      <p class="meta time-zone-note" id="time-zone-note">
        Times are in UTC (Coordinated Universal Time).
      </p>
      <div class="row">
        <label>
          Starts
          <input
            name="startsAt"
            type="datetime-local"
            required
            value={event ? utcInputValue(event.startsAt) : ''}
            data-iso={event?.startsAt}
          />
        </label>
        <label>
          Ends
          <input
            name="endsAt"
            type="datetime-local"
            required
            value={event ? utcInputValue(event.endsAt) : ''}
            data-iso={event?.endsAt}
          />
        </label>
      </div>
      <div class="row">
        <label>
          Capacity (empty for unlimited)
          <input
            name="capacity"
            type="number"
            min={1}
            max={EVENT_LIMITS.capacity}
            value={event?.capacity != null ? String(event.capacity) : ''}
          />
        </label>
        <label>
          Price in {currency} (empty or 0 for free)
          <input
            name="price"
            inputmode="decimal"
            pattern="[0-9]+([.,][0-9]{1,2})?"
            value={event && event.priceCents > 0 ? majorUnits(event.priceCents, currency) : ''}
          />
        </label>
      </div>
      <div class="error" role="alert" />
      <div>
        <button type="submit">{event ? 'Save changes' : 'Create event'}</button>
      </div>
    </form>
  );
}

async function loadEvent(deps: PageDeps, c: Context<AppEnv>) {
  const id = encodeURIComponent(c.req.param('id') ?? '');
  const [viewer, event] = await Promise.all([loadViewer(deps, c), deps.callApi<Event>(c, `/events/${id}`)]);
  return { viewer, event: event.status === 200 ? event.data : null, seq: event.seq };
}

async function newEventPage(deps: PageDeps, c: Context<AppEnv>) {
  if (!c.var.actor) return c.redirect('/login?next=/events/new');
  const viewer = await loadViewer(deps, c);
  return c.html(
    <Layout
      flash={takeFlash(c)}
      title="New event"
      page="event-form"
      path="/events/new"
      viewer={viewer}
      seq={0}
      assetUrl={deps.assetUrl}
    >
      <h1>New event</h1>
      <EventForm event={null} currency={deps.currency} action="/events/new" />
    </Layout>,
  );
}

async function editEventPage(deps: PageDeps, c: Context<AppEnv>) {
  const { viewer, event } = await loadEvent(deps, c);
  if (!event) return NotFoundPage(deps, c, viewer, 'No such event.');
  if (!c.var.actor) return c.redirect(`/login?next=/events/${event.id}/edit`);
  if (event.organizer.username !== c.var.actor.username)
    return NotFoundPage(deps, c, viewer, 'Only the organizer can edit this event.');
  return c.html(
    <Layout
      flash={takeFlash(c)}
      title={`Edit ${event.title}`}
      page="event-form"
      path={`/events/${event.id}/edit`}
      viewer={viewer}
      seq={0}
      assetUrl={deps.assetUrl}
      data={{ 'event-id': event.id }}
    >
      <h1>Edit event</h1>
      <p>
        <a href={`/events/${event.id}`}>Back to the event</a>
      </p>
      <EventForm event={event} currency={deps.currency} action={`/events/${event.id}/edit`} />
    </Layout>,
  );
}

async function cancelEventPage(deps: PageDeps, c: Context<AppEnv>) {
  const { viewer, event } = await loadEvent(deps, c);
  if (!event) return NotFoundPage(deps, c, viewer, 'No such event.');
  if (!c.var.actor) return c.redirect(`/login?next=/events/${event.id}/cancel`);
  return c.html(
    <Layout
      flash={takeFlash(c)}
      title={`Cancel ${event.title}`}
      page="event-cancel"
      path={`/events/${event.id}/cancel`}
      viewer={viewer}
      seq={0}
      assetUrl={deps.assetUrl}
    >
      <h1>Cancel “{event.title}”?</h1>
      <form id="cancel-form" class="card stack" method="post" action={`/events/${event.id}/cancel`}>
        <input type="hidden" name="back" value={`/events/${event.id}/cancel`} />
        <p>
          {countOf(event.goingCount, 'person is', 'people are')} going and{' '}
          {countOf(event.waitlistCount, 'person is', 'people are')} on the waitlist. They will be told, and
          every ticket is refunded. This cannot be undone.
        </p>
        <div class="actions">
          <button type="submit" class="danger">
            Cancel the event
          </button>
          <a href={`/events/${event.id}`}>Keep it</a>
        </div>
      </form>
    </Layout>,
  );
}

const statusWords: Record<Participant['status'], string> = {
  going: 'going',
  waitlisted: 'on the waitlist',
  pending_payment: 'payment pending',
};

async function participantsPage(deps: PageDeps, c: Context<AppEnv>) {
  const id = encodeURIComponent(c.req.param('id') ?? '');
  const cursor = c.req.query('cursor');
  const [{ viewer, event }, list] = await Promise.all([
    loadEvent(deps, c),
    deps.callApi<Page<Participant>>(
      c,
      `/events/${id}/participants?limit=50${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
    ),
  ]);
  if (!event || list.status !== 200) return NotFoundPage(deps, c, viewer, 'No such event.');
  return c.html(
    <Layout
      flash={takeFlash(c)}
      title={`Participants · ${event.title}`}
      page="event-participants"
      path={`/events/${event.id}/participants`}
      viewer={viewer}
      seq={0}
      assetUrl={deps.assetUrl}
    >
      <h1>Participants</h1>
      <p>
        <a href={`/events/${event.id}`}>{event.title}</a> · {countOf(event.goingCount, 'going', 'going')} ·{' '}
        {countOf(event.waitlistCount, 'on the waitlist', 'on the waitlist')}
      </p>
      <ul id="participants" class="list">
        {list.data.items.map((p) => (
          <li class="card participant">
            <a href={`/u/${p.user.username}`} class="person">
              <Avatar user={p.user} size="small" />
              {p.user.displayName}
            </a>{' '}
            <span class="meta">@{p.user.username}</span>{' '}
            <span class={`pill status-${p.status}`}>{statusWords[p.status]}</span>{' '}
            <span class="meta">
              joined <Time iso={p.joinedAt} relative />
            </span>
          </li>
        ))}
      </ul>
      {list.data.items.length === 0 ? <p class="empty">Nobody yet.</p> : null}
      {list.data.nextCursor ? (
        <div class="pager">
          <a href={`/events/${event.id}/participants?cursor=${encodeURIComponent(list.data.nextCursor)}`}>
            More participants
          </a>
        </div>
      ) : null}
    </Layout>,
  );
}

/** GET pages and POST forms of events beyond the listing and the event itself; before `/events/:id`. */
export function eventFormRoutes(pages: Hono<AppEnv>, deps: PageDeps): void {
  pages.get('/events/new', (c) => newEventPage(deps, c));
  pages.get('/events/:id/edit', (c) => editEventPage(deps, c));
  pages.get('/events/:id/cancel', (c) => cancelEventPage(deps, c));
  pages.get('/events/:id/participants', (c) => participantsPage(deps, c));
  eventForms(pages, deps);
}
