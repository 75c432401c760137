// Event listing and event page: going and waitlist counts move live as people join and leave.
import type { Event } from '@plaza/client';
import { EventCard } from '../components/event-card.tsx';
import type { PageContext } from './context.ts';
import { $, html, onSubmit, setText } from './dom.ts';

const currency = () => document.querySelector<HTMLElement>('[data-currency]')?.dataset.currency ?? 'EUR';

export async function eventsPage(ctx: PageContext): Promise<void> {
  const list = $('#events')!;
  onSubmit($<HTMLFormElement>('#event-form'), async (data) => {
    const capacity = String(data.get('capacity') ?? '');
    const event = await ctx.client.events.create({
      title: String(data.get('title') ?? ''),
      description: String(data.get('description') ?? ''),
      location: String(data.get('location') ?? '') || undefined,
      startsAt: new Date(String(data.get('startsAt'))).toISOString(),
      endsAt: new Date(String(data.get('endsAt'))).toISOString(),
      capacity: capacity ? Number(capacity) : null,
    });
    location.href = `/events/${event.id}`;
  });
  // The listing is in start order (then id, like the API): a new or moved event goes to its place.
  const show = (event: Event) => {
    document.getElementById(`event-${event.id}`)?.remove();
    if (event.status !== 'published') return;
    const key = `${event.startsAt}|${event.id}`;
    const next = [...list.querySelectorAll<HTMLElement>('[data-starts-at]')].find(
      (card) => `${card.dataset.startsAt}|${card.dataset.eventId}` > key,
    );
    const markup = html(EventCard({ event, currency: currency() }));
    if (next) next.insertAdjacentHTML('beforebegin', markup);
    else list.insertAdjacentHTML('beforeend', markup);
  };
  await ctx.client.subscribe(
    'events',
    {
      'event:created': ({ event }) => show(event),
      'event:updated': ({ event }) => show(event),
      'event:cancelled': ({ event }) => show(event),
    },
    { since: ctx.seq },
  );
}

export async function eventPage(ctx: PageContext): Promise<void> {
  const eventId = ctx.main.dataset.eventId!;
  const button = $<HTMLButtonElement>('#participation');
  const error = $('.error');
  const showStatus = (status: string | null) => {
    if (!button) return;
    button.dataset.status = status ?? '';
    button.textContent = status ? 'Leave' : 'Join';
    setText('#my-status', status ? `You are ${status.replace('_', ' ')}.` : '');
  };
  const showCounts = (going: number, waitlist: number) => {
    setText('.going-count', going);
    setText('.waitlist-count', waitlist);
  };
  button?.addEventListener('click', () => {
    const joined = Boolean(button.dataset.status);
    button.disabled = true;
    if (error) error.textContent = '';
    (joined ? ctx.client.events.leave(eventId) : ctx.client.events.join(eventId))
      .then((result) => {
        showStatus(result.status);
        showCounts(result.goingCount, result.waitlistCount);
      })
      .catch((e: Error) => {
        if (error) error.textContent = e.message;
      })
      .finally(() => {
        button.disabled = false;
      });
  });
  await ctx.client.subscribe(
    `event:${eventId}`,
    {
      'event:participation': (data) => {
        showCounts(data.goingCount, data.waitlistCount);
        if (data.user.username === ctx.user) showStatus(data.status);
      },
      'event:updated': ({ event }) => showCounts(event.goingCount, event.waitlistCount),
    },
    { since: ctx.seq },
  );
}
