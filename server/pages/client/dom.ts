// Small DOM helpers for the page scripts. Markup comes from the same hono/jsx components the server
// renders with, whose output is escaped: user content can only ever be text.
import type { Child } from 'hono/jsx';
import { type Refusal, refusalOf } from '../refusals.ts';
import { checkLimits, TooLong } from './limits.ts';

export const $ = <T extends Element = HTMLElement>(selector: string, root: ParentNode = document) =>
  root.querySelector<T & Element>(selector) as T | null;

export const $$ = <T extends Element = HTMLElement>(selector: string, root: ParentNode = document) =>
  [...root.querySelectorAll<T & Element>(selector)] as T[];

export function html(node: Child): string {
  return String(node);
}

/** Inserts rendered markup, or replaces the element with that id if it is already there. */
export function upsert(
  container: Element,
  node: Child,
  id: string,
  where: InsertPosition = 'afterbegin',
): void {
  const markup = html(node);
  const existing = document.getElementById(id);
  if (existing) existing.outerHTML = markup;
  else container.insertAdjacentHTML(where, markup);
}

export function setText(selector: string, value: string | number, root: ParentNode = document): void {
  for (const el of $$(selector, root)) el.textContent = String(value);
}

/** Runs a form's submit handler with its button disabled and errors shown in its `.error` element. */
export function onSubmit(form: HTMLFormElement | null, handler: (data: FormData) => Promise<void>): void {
  if (!form) return;
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const button = $<HTMLButtonElement>('button[type="submit"]', form);
    const error = $('.error', form);
    if (error) error.textContent = '';
    if (button) button.disabled = true;
    new Promise<void>((resolve) => {
      // A field over its limit is refused here, in the limit's own words, before anything is sent.
      checkLimits(form);
      resolve();
    })
      .then(() => handler(new FormData(form)))
      .catch((e: unknown) => {
        if (error) showError(error, e);
        else reportSignedOut(e);
      })
      .finally(() => {
        if (button) button.disabled = false;
      });
  });
}

interface PlazaErrorLike {
  status: number;
  code: string;
  message: string;
  details?: Record<string, unknown>;
}

const isPlazaError = (e: unknown): e is PlazaErrorLike =>
  typeof e === 'object' &&
  e !== null &&
  typeof (e as PlazaErrorLike).code === 'string' &&
  typeof (e as PlazaErrorLike).status === 'number';

const here = (): string => `${location.pathname}${location.search}`;

/** The same words the form routes say (refusals.ts), from the SDK's PlazaError. */
export function refusalOfError(error: unknown): Refusal {
  if (error instanceof TooLong) return { text: error.message };
  if (isPlazaError(error)) {
    const { code, message, details } = error;
    return refusalOf(error.status, { error: { code, message, ...(details ? { details } : {}) } }, here());
  }
  if (error instanceof TypeError)
    return { text: 'Plaza cannot be reached. Check your connection and try again.' };
  return { text: 'Something went wrong. Please try again.' };
}

/** A refusal in the same words the form routes use (refusals.ts): what happened and what to do next. */
export function errorMessage(error: unknown): string {
  reportSignedOut(error);
  return refusalOfError(error).text;
}

/** Writes the refusal into `el`: its text, then its link (sign in again, verify…) when it has one. */
export function showError(el: Element, error: unknown): void {
  reportSignedOut(error);
  const refusal = refusalOfError(error);
  el.textContent = refusal.text;
  if (refusal.link) {
    const a = document.createElement('a');
    a.href = refusal.link.href;
    a.textContent = refusal.link.label;
    el.append(' ', a);
  }
}

export const SIGNED_OUT_EVENT = 'plaza:signed-out';

/** An API call said "unauthenticated" while the page thinks someone is signed in: tell the layout. */
export function reportSignedOut(error: unknown): void {
  if (isPlazaError(error) && error.code === 'unauthenticated' && document.body.dataset.user) {
    document.dispatchEvent(new CustomEvent(SIGNED_OUT_EVENT));
  }
}
