// An event in the listing, and its live counts.
import type { Event } from '@plaza/client/protocol';
import { Avatar } from './avatar.tsx';
import { type ParticipationView, participationLabel, participationText } from './event-fields.ts';
import { formatMoney } from './format.ts';
import { Time } from './time.tsx';

const numbers = new Intl.NumberFormat('en');

export function EventCounts({ event }: { event: Pick<Event, 'goingCount' | 'waitlistCount' | 'capacity'> }) {
  return (
    <div class="counts">
      <span>
        <strong class="going-count">{numbers.format(event.goingCount)}</strong> going
        {event.capacity !== null ? ` of ${numbers.format(event.capacity)}` : ''}
      </span>
      <span>
        <strong class="waitlist-count">{numbers.format(event.waitlistCount)}</strong> on the waitlist
      </span>
    </div>
  );
}

/** Join or leave by a form (works without the script); the bundle intercepts it and keeps it current. */
export function ParticipationForm({
  event,
  price,
  back,
}: {
  event: Event;
  price: string | null;
  back: string;
}) {
  const view: ParticipationView = { ...event, price };
  return (
    <form
      id="participation-form"
      class="actions"
      method="post"
      action={`/events/${event.id}/${event.myStatus ? 'leave' : 'join'}`}
      data-capacity={event.capacity === null ? '' : String(event.capacity)}
      data-price={price ?? ''}
    >
      <input type="hidden" name="back" value={back} />
      <button type="submit" id="participation" data-status={event.myStatus ?? ''}>
        {participationLabel(view)}
      </button>
      <span id="my-status" class={`meta status-${event.myStatus ?? 'none'}`} role="status">
        {participationText(view)}
      </span>
      <span class="error" role="alert" />
    </form>
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
        {event.location ? ` · ${event.location}` : ''} · by{' '}
        <span class="person">
          <Avatar user={event.organizer} size="small" />
          {event.organizer.displayName}
        </span>
        {event.priceCents > 0 ? ` · ${formatMoney(event.priceCents, currency)}` : ' · free'}
        {event.capacity !== null && event.goingCount >= event.capacity ? ' · full' : ''}
        {event.status !== 'published' ? ` · ${event.status}` : ''}
      </div>
      {event.summary ? <p class="body">{event.summary}</p> : null}
      <EventCounts event={event} />
    </article>
  );
}
