// Event listing and event pages.
import type { Event, Page } from '@plaza/client/protocol';
import type { Context } from 'hono';
import type { AppEnv } from '../http/env.ts';
import { Avatar } from './components/avatar.tsx';
import { EventCard, EventCounts, ParticipationForm } from './components/event-card.tsx';
import { formatMoney } from './components/format.ts';
import { ReportForm } from './components/report-form.tsx';
import { Time } from './components/time.tsx';
import { Watching } from './components/watching.tsx';
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
      data={{ currency: deps.currency }}
    >
      <div class="page-head">
        <h1>Upcoming events</h1>
        {viewer ? (
          <a class="button" href="/events/new">
            New event
          </a>
        ) : null}
      </div>
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
    </Layout>,
  );
}

export async function eventPage(deps: PageDeps, c: Context<AppEnv>) {
  const id = encodeURIComponent(c.req.param('id') ?? '');
  const [viewer, event] = await Promise.all([loadViewer(deps, c), deps.callApi<Event>(c, `/events/${id}`)]);
  if (event.status !== 200) return NotFoundPage(deps, c, viewer, 'No such event.');
  const e = event.data;
  const actor = c.var.actor;
  const organizer = actor?.username === e.organizer.username;
  const mayCancel = organizer || actor?.role === 'moderator' || actor?.role === 'admin';
  const price = e.priceCents > 0 ? formatMoney(e.priceCents, deps.currency) : null;
  const here = `/events/${e.id}`;
  return c.html(
    <Layout
      flash={takeFlash(c)}
      title={e.title}
      page="event"
      path={here}
      viewer={viewer}
      seq={event.seq}
      assetUrl={deps.assetUrl}
      data={{ 'event-id': e.id, currency: deps.currency }}
    >
      <article class="card event-page" id={`event-${e.id}`} data-event-id={e.id}>
        {e.cover?.url ? (
          <img class="event-cover" src={e.cover.url} alt={e.cover.description} width="1600" height="900" />
        ) : null}
        <h1>{e.title}</h1>
        <p class="event-when">
          <Time iso={e.startsAt} /> – <Time iso={e.endsAt} />
        </p>
        <p class="meta">
          {e.location ? `${e.location} · ` : ''}by{' '}
          <a href={`/u/${e.organizer.username}`} class="person">
            <Avatar user={e.organizer} size="small" />
            {e.organizer.displayName}
          </a>
        </p>
        <p class="event-price">{price ? `${price} · pay to attend` : 'Free'}</p>
        {e.status !== 'published' ? <p class="flash error">This event is {e.status}.</p> : null}
        <p class="body">{e.description}</p>
        <EventCounts event={e} />
        <Watching topic={`event:${e.id}`} />
        <p>
          <a href={`${here}/participants`}>See who is going</a>
        </p>
        {viewer && e.status === 'published' ? (
          <ParticipationForm event={e} price={price} back={here} />
        ) : e.status === 'published' ? (
          <p>
            <a href={`/login?next=${here}`}>Log in</a> to join.
          </p>
        ) : null}
        {e.status === 'published' && (organizer || mayCancel) ? (
          <p class="actions organizer-tools">
            {organizer ? (
              <a class="button secondary" href={`${here}/edit`}>
                Edit
              </a>
            ) : null}
            <a class="button danger" href={`${here}/cancel`}>
              Cancel event
            </a>
          </p>
        ) : null}
        {viewer && !organizer ? (
          <div class="manage">
            <ReportForm type="event" id={e.id} back={here} />
          </div>
        ) : null}
      </article>
    </Layout>,
  );
}
