// Event listing, event page and event form: counts and the viewer's own participation move live; the forms
// the server rendered are done through the SDK instead, with times in the browser's zone.
import type { CreateEventInput, Event, ParticipationStatus } from '@plaza/client';
import { EventCard } from '../components/event-card.tsx';
import {
  eventBody,
  localFieldTime,
  localInputValue,
  participationLabel,
  participationText,
} from '../components/event-fields.ts';
import type { PageContext } from './context.ts';
import { $, $$, html, onSubmit, setText } from './dom.ts';
import { showWatching } from './presence.ts';
import { wireSingleUpload } from './single-upload.ts';

const currency = () => document.querySelector<HTMLElement>('[data-currency]')?.dataset.currency ?? 'EUR';
const numbers = new Intl.NumberFormat();

export async function eventsPage(ctx: PageContext): Promise<void> {
  const list = $('#events')!;
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

/** New and edit forms: times shown and read in the browser's zone, sent as ISO with its offset. */
export async function eventFormPage(ctx: PageContext): Promise<void> {
  const form = $<HTMLFormElement>('#event-form');
  if (!form) return;
  for (const input of $$<HTMLInputElement>('input[type="datetime-local"][data-iso]', form))
    input.value = localInputValue(input.dataset.iso!);
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  setText('#time-zone-note', `Times are in your time zone${zone ? ` (${zone.replace(/_/g, ' ')})` : ''}.`);
  const eventId = ctx.main.dataset.eventId;
  const cover = wireCover(ctx);
  onSubmit(form, async (data) => {
    await cover.settled();
    const fields = Object.fromEntries([...data].map(([k, v]) => [k, String(v)]));
    const body = eventBody(
      fields,
      form.dataset.currency ?? currency(),
      localFieldTime,
    ) as unknown as CreateEventInput;
    const coverMediaId = cover.value();
    const event = eventId
      ? await ctx.client.events.update(eventId, {
          ...body,
          ...(coverMediaId !== undefined ? { coverMediaId } : {}),
        })
      : await ctx.client.events.create({
          ...body,
          location: body.location || undefined,
          ...(coverMediaId ? { coverMediaId } : {}),
        });
    location.href = `/events/${event.id}`;
  });
}

/** The cover picker: a new upload, a removal (null), or nothing changed (undefined). */
function wireCover(ctx: PageContext) {
  const field = $<HTMLFieldSetElement>('#cover-field', ctx.main);
  const root = $<HTMLElement>('#cover-upload', ctx.main);
  const preview = $<HTMLImageElement>('#cover-preview', ctx.main);
  const remove = $<HTMLButtonElement>('#cover-remove', ctx.main);
  let chosen: string | null | undefined;
  if (!field || !root || !preview || !remove) return { settled: async () => undefined, value: () => chosen };
  remove.hidden = field.dataset.hasCover !== 'true';
  const upload = wireSingleUpload(ctx.client, root, async (media) => {
    chosen = media.id;
    preview.src = media.url ?? '';
    preview.hidden = false;
    remove.hidden = false;
    return 'Ready: saved with the event.';
  });
  remove.addEventListener('click', () => {
    chosen = null;
    preview.hidden = true;
    preview.removeAttribute('src');
    remove.hidden = true;
    upload.say('No cover: saved with the event.');
  });
  return { settled: () => upload.settled(), value: () => chosen };
}

export async function eventPage(ctx: PageContext): Promise<void> {
  const eventId = ctx.main.dataset.eventId!;
  const form = $<HTMLFormElement>('#participation-form');
  const button = $<HTMLButtonElement>('#participation');
  const state = {
    myStatus: (button?.dataset.status || null) as ParticipationStatus | null,
    goingCount: Number($('.going-count')?.textContent?.replace(/\D/g, '') ?? 0),
    capacity: form?.dataset.capacity ? Number(form.dataset.capacity) : null,
    price: form?.dataset.price || null,
  };
  const render = () => {
    if (!form || !button) return;
    button.dataset.status = state.myStatus ?? '';
    button.textContent = participationLabel(state);
    form.action = `/events/${eventId}/${state.myStatus ? 'leave' : 'join'}`;
    const status = $('#my-status');
    if (status) {
      status.textContent = participationText(state);
      status.className = `meta status-${state.myStatus ?? 'none'}`;
    }
  };
  const showCounts = (going: number, waitlist: number) => {
    state.goingCount = going;
    setText('.going-count', numbers.format(going));
    setText('.waitlist-count', numbers.format(waitlist));
    render();
  };
  onSubmit(form, async () => {
    const result = await (state.myStatus
      ? ctx.client.events.leave(eventId)
      : ctx.client.events.join(eventId));
    state.myStatus = result.status;
    showCounts(result.goingCount, result.waitlistCount);
  });
  await ctx.client.subscribe(
    `event:${eventId}`,
    {
      'event:participation': (data) => {
        if (data.user.username === ctx.user) state.myStatus = data.status;
        showCounts(data.goingCount, data.waitlistCount);
      },
      'event:updated': ({ event }) => {
        // Cancelled or rejected while open: the server draws that state (no more joining).
        if (event.status !== 'published') location.reload();
        state.capacity = event.capacity;
        showCounts(event.goingCount, event.waitlistCount);
      },
    },
    { since: ctx.seq },
  );
  await showWatching(ctx.client);
}
