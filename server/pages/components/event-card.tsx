// An event in the listing, and its live counts.
import type { Event } from '@plaza/client/protocol';
import { formatMoney } from './format.ts';
import { Time } from './time.tsx';

export function EventCounts({ event }: { event: Pick<Event, 'goingCount' | 'waitlistCount' | 'capacity'> }) {
  return (
    <div class="counts">
      <span>
        <strong class="going-count">{event.goingCount}</strong> going
        {event.capacity !== null ? ` of ${event.capacity}` : ''}
      </span>
      <span>
        <strong class="waitlist-count">{event.waitlistCount}</strong> waitlisted
      </span>
    </div>
  );
}

export function EventCard({ event, currency }: { event: Event; currency: string }) {
  return (
    <article
      class="card event"
      id={`event-${event.id}`}
      data-event-id={event.id}
      data-starts-at={event.startsAt}
    >
      <h2>
        <a href={`/events/${event.id}`}>{event.title}</a>
      </h2>
      <div class="meta">
        <Time iso={event.startsAt} />
        {event.location ? ` · ${event.location}` : ''} · by {event.organizer.displayName}
        {event.priceCents > 0 ? ` · ${formatMoney(event.priceCents, currency)}` : ' · free'}
        {event.status !== 'published' ? ` · ${event.status}` : ''}
      </div>
      {event.summary ? <p class="body">{event.summary}</p> : null}
      <EventCounts event={event} />
    </article>
  );
}
