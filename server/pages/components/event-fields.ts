// The event form's values, for the form route (server, no script) and the bundle alike. Plain TypeScript.
// datetime-local inputs carry no zone: without the script the server reads them as UTC (and the form says
// so); the bundle converts them with the browser's own offset before sending, and fills edit forms in local time.

const pad = (n: number) => String(n).padStart(2, '0');

/** "2027-01-15T17:00" for a datetime-local input, in UTC. */
export function utcInputValue(iso: string): string {
  const d = new Date(iso);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}T${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`;
}

/** The same in the zone of whoever runs it (the browser). */
export function localInputValue(iso: string): string {
  const d = new Date(iso);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

const zoneless = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/;

/** A datetime-local value read as UTC (the no-script path); anything else goes to the API as typed, to be refused there. */
export function utcFieldTime(value: string): string {
  const v = value.trim();
  if (!zoneless.test(v)) return v;
  return `${v.length === 16 ? `${v}:00` : v}Z`;
}

/** A datetime-local value read in the browser's zone, as ISO with that offset applied. */
export function localFieldTime(value: string): string {
  const d = new Date(value);
  return zoneless.test(value.trim()) && !Number.isNaN(d.getTime()) ? d.toISOString() : value;
}

const digits = (currency: string) =>
  new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;

/** "12.5" (major units, as people type prices) → 1250; empty → 0; not a price → NaN (refused by the API). */
export function toCents(text: string, currency: string): number {
  const v = text.trim().replace(',', '.');
  if (v === '') return 0;
  if (!/^\d+(\.\d+)?$/.test(v)) return Number.NaN;
  return Math.round(Number(v) * 10 ** digits(currency));
}

/** 1250 → "12.50": the price field's value in an edit form. */
export function majorUnits(cents: number, currency: string): string {
  const n = digits(currency);
  return (cents / 10 ** n).toFixed(n);
}

/** The API body of the event form's fields; times read by `time` (UTC on the server, local in the browser). */
export function eventBody(
  fields: Record<string, string>,
  currency: string,
  time: (value: string) => string,
): Record<string, unknown> {
  const capacity = (fields.capacity ?? '').trim();
  const cents = toCents(fields.price ?? '', currency);
  return {
    title: fields.title ?? '',
    summary: fields.summary ?? '',
    description: fields.description ?? '',
    location: fields.location ?? '',
    startsAt: time(fields.startsAt ?? ''),
    endsAt: time(fields.endsAt ?? ''),
    capacity: capacity === '' ? null : Number(capacity),
    // NaN would travel as null and be refused as "expected number"; the typed text says more.
    priceCents: Number.isNaN(cents) ? (fields.price ?? '') : cents,
  };
}

export interface ParticipationView {
  myStatus: 'going' | 'waitlisted' | 'pending_payment' | null;
  goingCount: number;
  capacity: number | null;
  /** The price as written ("€12.50"), or null when free. */
  price: string | null;
}

/** What the participation button says: a full event's join puts you on the waitlist, a paid one asks you to pay. */
export function participationLabel(v: ParticipationView): string {
  if (v.myStatus) return v.myStatus === 'pending_payment' ? 'Cancel payment' : 'Leave';
  if (v.capacity !== null && v.goingCount >= v.capacity) return 'Join waitlist';
  return v.price ? `Pay ${v.price} to attend` : 'Join';
}

export function participationText(v: ParticipationView): string {
  switch (v.myStatus) {
    case 'going':
      return 'You are going.';
    case 'waitlisted':
      return 'You are on the waitlist: you get a place when someone leaves.';
    case 'pending_payment':
      return `Your payment${v.price ? ` of ${v.price}` : ''} is being processed…`;
    default:
      return '';
  }
}
