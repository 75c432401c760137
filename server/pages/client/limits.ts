// Limits said before they are hit: every field with `data-max` (its noun in `data-noun`) gets a live
// counter in the `.counter` beside it, and a form whose field is over its limit is refused before anything
// is sent — never `maxlength`, which cuts a paste without a word.
import { countOf } from '../components/format.ts';

type LimitedField = HTMLInputElement | HTMLTextAreaElement;

/** A limit the page states before it is hit: "4,980 / 5,000", then the excess, never a silent cut. */
export function wireCounters(root: ParentNode = document): void {
  for (const area of root.querySelectorAll<LimitedField>('[data-max]')) {
    const counter = area.parentElement?.querySelector<HTMLElement>('.counter') ?? null;
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
export class TooLong extends Error {}

/** The first limited field over its limit refuses the submit before anything is sent. */
export function checkLimits(form: HTMLFormElement): void {
  for (const area of form.querySelectorAll<LimitedField>('[data-max]')) {
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
