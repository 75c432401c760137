// Small DOM helpers for the page scripts. Markup comes from the same hono/jsx components the server
// renders with, whose output is escaped: user content can only ever be text.
import type { Child } from 'hono/jsx';

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
    handler(new FormData(form))
      .catch((e: unknown) => {
        if (error) error.textContent = errorMessage(e);
      })
      .finally(() => {
        if (button) button.disabled = false;
      });
  });
}

export function errorMessage(error: unknown): string {
  if (error && typeof error === 'object') {
    const details = (error as { details?: { issues?: Array<{ path: string; message: string }> } }).details;
    const issue = details?.issues?.[0];
    if (issue) return `${issue.path ? `${issue.path}: ` : ''}${issue.message}`;
    if ('message' in error) return String((error as Error).message);
  }
  return 'Something went wrong';
}
