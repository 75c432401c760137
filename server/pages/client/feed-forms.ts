// The feed pages' forms, done live: the same <form>s the server answers without the script (feed.forms.ts)
// are intercepted here and sent through the SDK. Refusals read as the form routes' (refusals.ts), with a
// way forward (sign in again…), never as an uncaught error.
import { countOf } from '../components/format.ts';
import { $, $$, showError } from './dom.ts';

/** A limit the page states before it is hit: "4,980 / 5,000", then the excess, never a silent cut. */
export function wireCounters(root: ParentNode = document): void {
  for (const area of $$<HTMLTextAreaElement>('textarea[data-max]', root)) {
    const counter = area.parentElement ? $('.counter', area.parentElement) : null;
    if (!counter || area.dataset.counted) continue;
    area.dataset.counted = 'true';
    const max = Number(area.dataset.max);
    const show = () => {
      const n = area.value.trim().length;
      const over = n - max;
      counter.textContent =
        `${n.toLocaleString('en')} / ${max.toLocaleString('en')}` +
        (over > 0 ? ` — ${countOf(over, 'character')} too many` : '');
      counter.classList.toggle('near', n > max * 0.9 && over <= 0);
      counter.classList.toggle('over', over > 0);
    };
    area.addEventListener('input', show);
    show();
  }
}

/** A refusal of our own, shaped like the API's, so it reads like every other. */
class TooLong extends Error {}

/** The first limited field over its limit refuses the submit before anything is sent. */
function checkLimits(form: HTMLFormElement): void {
  for (const area of $$<HTMLTextAreaElement>('textarea[data-max]', form)) {
    const max = Number(area.dataset.max);
    const n = area.value.trim().length;
    if (n > max) {
      throw new TooLong(
        `${area.dataset.noun ?? 'Text'}: at most ${max.toLocaleString('en')} characters ` +
          `(this one has ${n.toLocaleString('en')}). Shorten it, or split it in two.`,
      );
    }
  }
}

/** Where a form without an error slot says what went wrong: one alert at the top of the page. */
function pageAlert(): HTMLElement {
  let alert = $('#live-alert');
  if (!alert) {
    alert = document.createElement('p');
    alert.id = 'live-alert';
    alert.className = 'flash error';
    alert.setAttribute('role', 'alert');
    $('#main')?.prepend(alert);
  }
  return alert;
}

export type FormHandler = (form: HTMLFormElement, data: FormData) => Promise<void>;

/** Intercepts, anywhere in the page (live-inserted cards too), the forms matching each selector. */
export function liveForms(handlers: Record<string, FormHandler>): void {
  document.addEventListener('submit', (event) => {
    const form = event.target as HTMLFormElement;
    const entry = Object.entries(handlers).find(([selector]) => form.matches(selector));
    if (!entry) return;
    event.preventDefault();
    const button = $<HTMLButtonElement>('button[type="submit"]', form);
    const slot = $('.error', form);
    if (slot) slot.textContent = '';
    $('#live-alert')?.remove();
    if (button) button.disabled = true;
    const data = new FormData(form);
    new Promise<void>((resolve) => {
      checkLimits(form);
      resolve();
    })
      .then(() => entry[1](form, data))
      .catch((error: unknown) => {
        const target = slot ?? pageAlert();
        if (error instanceof TooLong) target.textContent = error.message;
        else showError(target, error);
      })
      .finally(() => {
        if (button?.isConnected) button.disabled = false;
      });
  });
}
