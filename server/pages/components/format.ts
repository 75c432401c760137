// How pages write times, money and counts, for the server's first paint and the browser's live items alike.
// Plain TypeScript (no JSX): server modules that Node runs from source may import it.

export const LOCALE = 'en';

const utcFormat = new Intl.DateTimeFormat(LOCALE, {
  dateStyle: 'medium',
  timeStyle: 'short',
  timeZone: 'UTC',
});

/** "Dec 6, 2026, 7:30 AM UTC": what a reader without the script sees. */
export const utcTime = (iso: string): string => `${utcFormat.format(new Date(iso))} UTC`;

const moneyFormats = new Map<string, Intl.NumberFormat>();

/** "€12.50": one way to write money everywhere, through Intl. */
export function formatMoney(cents: number, currency: string): string {
  let format = moneyFormats.get(currency);
  if (!format) {
    format = new Intl.NumberFormat(LOCALE, { style: 'currency', currency });
    moneyFormats.set(currency, format);
  }
  return format.format(cents / 100);
}

const plurals = new Intl.PluralRules(LOCALE);
const numbers = new Intl.NumberFormat(LOCALE);

/** "1 comment", "2 comments", "1,204 followers"; `other` for irregular plurals. */
export function countOf(count: number, one: string, other = `${one}s`): string {
  return `${numbers.format(count)} ${plurals.select(count) === 'one' ? one : other}`;
}

/** The word alone, for markup that keeps the number in an element of its own (live counters). */
export const nounFor = (count: number, one: string, other = `${one}s`): string =>
  plurals.select(count) === 'one' ? one : other;
