// Event listing and event pages.
import type { Event, Page } from '@plaza/client/protocol';
import type { Context } from 'hono';
import type { AppEnv } from '../http/env.ts';
import { EventCard, EventCounts } from './components/event-card.tsx';
import { formatMoney } from './components/format.ts';
import { Time } from './components/time.tsx';
import { takeFlash } from './flash.ts';
import { Layout } from './layout.tsx';
import { NotFoundPage } from './not-found.tsx';
import { loadViewer, type PageDeps } from './page-context.ts';

export async function eventsPage(deps: PageDeps, c: Context<AppEnv>) {
  const cursor = c.req.query('cursor');
  const [viewer, events] = await Promise.all([
    loadViewer(deps, c),
    deps.callApi<Page<Event>>(c, `/events?limit=20${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`),
  ]);
  const items = events.status === 200 ? events.data.items : [];
  return c.html(
    <Layout
      flash={takeFlash(c)}
      title="Events"
      page="events"
      path="/events"
      viewer={viewer}
      seq={events.seq}
      assetUrl={deps.assetUrl}
    >
      <h1>Upcoming events</h1>
      <div id="events">
        {items.map((event) => (
          <EventCard event={event} currency={deps.currency} />
        ))}
      </div>
      {items.length === 0 ? <p class="empty">No upcoming events.</p> : null}
      {events.status === 200 && events.data.nextCursor ? (
        <div class="pager">
          <a href={`/events?cursor=${encodeURIComponent(events.data.nextCursor)}`}>Later events</a>
        </div>
      ) : null}
      {viewer ? (
        <form id="event-form" class="card stack">
          <h2>Create an event</h2>
          <label>
            Title
            <input name="title" required maxlength={200} />
          </label>
          <label>
            Description
            <textarea name="description" required maxlength={10000} />
          </label>
          <label>
            Location
            <input name="location" maxlength={200} />
          </label>
          <label>
            Starts
            <input name="startsAt" type="datetime-local" required />
          </label>
          <label>
            Ends
            <input name="endsAt" type="datetime-local" required />
          </label>
          <label>
            Capacity (empty for unlimited)
            <input name="capacity" type="number" min={1} />
          </label>
          <div class="error" role="alert" />
          <div>
            <button type="submit">Create</button>
          </div>
        </form>
      ) : null}
    </Layout>,
  );
}

export async function eventPage(deps: PageDeps, c: Context<AppEnv>) {
  const id = encodeURIComponent(c.req.param('id') ?? '');
  const [viewer, event] = await Promise.all([loadViewer(deps, c), deps.callApi<Event>(c, `/events/${id}`)]);
  if (event.status !== 200) return NotFoundPage(deps, c, viewer, 'No such event.');
  const e = event.data;
  return c.html(
    <Layout
      flash={takeFlash(c)}
      title={e.title}
      page="event"
      path={`/events/${e.id}`}
      viewer={viewer}
      seq={event.seq}
      assetUrl={deps.assetUrl}
      data={{ 'event-id': e.id }}
    >
      <article class="card" id={`event-${e.id}`} data-event-id={e.id}>
        <h1>{e.title}</h1>
        <div class="meta">
          <Time iso={e.startsAt} /> – <Time iso={e.endsAt} />
          {e.location ? ` · ${e.location}` : ''} · by{' '}
          <a href={`/u/${e.organizer.username}`}>{e.organizer.displayName}</a>
          {e.priceCents > 0 ? ` · ${formatMoney(e.priceCents, deps.currency)}` : ' · free'}
        </div>
        {e.status !== 'published' ? <p class="error">This event is {e.status}.</p> : null}
        <p class="body">{e.description}</p>
        <EventCounts event={e} />
        {viewer && e.status === 'published' ? (
          <p class="actions">
            <button type="button" id="participation" data-status={e.myStatus ?? ''}>
              {e.myStatus ? 'Leave' : 'Join'}
            </button>
            <span id="my-status" class="meta">
              {e.myStatus ? `You are ${e.myStatus.replace('_', ' ')}.` : ''}
            </span>
          </p>
        ) : e.status === 'published' ? (
          <p>
            <a href={`/login?next=/events/${e.id}`}>Log in</a> to join.
          </p>
        ) : null}
        <div class="error" role="alert" />
      </article>
    </Layout>,
  );
}
