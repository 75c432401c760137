// The ALTCHA widget (served from our origin, no third party): solve on load, hand the payload to our
// own submit handlers, and fetch a fresh challenge after each use (a solution is accepted once).
import 'altcha/external';

interface AltchaWidget extends HTMLElement {
  reset?: () => void;
  verify?: () => void;
}

/** The solved payload of the form's widget, waiting for the solver if it is still running. */
export async function captchaOf(form: HTMLFormElement): Promise<string> {
  const read = () => new FormData(form).get('captcha');
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const value = read();
    if (typeof value === 'string' && value.length > 0) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  // A fresh challenge, already being solved, for the next try (a reset alone would leave it unsolved).
  resetCaptcha(form);
  throw new Error('The CAPTCHA check is taking long: please try again in a moment');
}

export function resetCaptcha(form: HTMLFormElement): void {
  const widget = form.querySelector<AltchaWidget>('altcha-widget');
  if (!widget) return;
  widget.reset?.();
  // Solve the next one right away, as on load.
  widget.verify?.();
}
