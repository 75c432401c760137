// The feed pages' forms, done live: the same <form>s the server answers without the script (feed.forms.ts)
// are intercepted here and sent through the SDK. Refusals read as the form routes' (refusals.ts), with a
// way forward (sign in again…), never as an uncaught error.
import { $, showError } from './dom.ts';
import { checkLimits } from './limits.ts';

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
        showError(slot ?? pageAlert(), error);
      })
      .finally(() => {
        if (button?.isConnected) button.disabled = false;
      });
  });
}
