// Times in the reader's zone: every <time datetime> the server wrote in UTC (components/format.tsx) is
// rewritten here with Intl, relative ("3 minutes ago") when recent and marked so, absolute otherwise;
// live items are caught as they are inserted, and relative ones are refreshed each minute.

const absolute = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const relative = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });

const UNITS: ReadonlyArray<[Intl.RelativeTimeFormatUnit, number]> = [
  ['second', 60],
  ['minute', 60],
  ['hour', 24],
  ['day', 7],
];

/** "just now", "5 minutes ago", "in 2 hours", up to a week; null beyond (then absolute). */
function relativeText(date: Date, now: number): string | null {
  let amount = (date.getTime() - now) / 1000;
  if (Math.abs(amount) < 45) return relative.format(0, 'second');
  for (const [unit, size] of UNITS) {
    if (Math.abs(amount) < size) return relative.format(Math.round(amount), unit);
    amount /= size;
  }
  return null;
}

function localize(el: HTMLTimeElement, now: number): void {
  const iso = el.getAttribute('datetime');
  if (!iso) return;
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return;
  const full = absolute.format(date);
  el.title = full;
  el.textContent = (el.dataset.relative === 'true' && relativeText(date, now)) || full;
}

export function localizeTimes(root: ParentNode = document): void {
  const now = Date.now();
  for (const el of root.querySelectorAll<HTMLTimeElement>('time[datetime]')) localize(el, now);
}

/** Localizes the page now, every inserted item from now on, and relative times each minute. */
export function keepTimesLocal(): void {
  localizeTimes();
  new MutationObserver((records) => {
    const now = Date.now();
    for (const record of records) {
      for (const node of record.addedNodes) {
        if (node instanceof HTMLTimeElement) localize(node, now);
        else if (node instanceof Element)
          for (const el of node.querySelectorAll('time[datetime]')) localize(el as HTMLTimeElement, now);
      }
    }
  }).observe(document.body, { childList: true, subtree: true });
  setInterval(() => {
    const now = Date.now();
    for (const el of document.querySelectorAll<HTMLTimeElement>('time[datetime][data-relative="true"]'))
      localize(el, now);
  }, 60_000);
}
