// /settings with the script: the same forms, done through the SDK without leaving the page.
import type { PageContext } from './context.ts';
import { $, $$, errorMessage } from './dom.ts';

export async function settingsPage(ctx: PageContext): Promise<void> {
  for (const form of $$<HTMLFormElement>('form.revoke-session', ctx.main)) {
    const row = form.closest<HTMLElement>('[data-session]');
    const id = row?.dataset.session;
    if (!row || !id) continue;
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const button = $<HTMLButtonElement>('button', form);
      if (button) button.disabled = true;
      ctx.client.auth
        .revokeSession(id)
        .then(() => {
          row.remove();
          if (!$('form.revoke-session', ctx.main)) $('#revoke-others')?.remove();
        })
        .catch((error: unknown) => {
          if (button) button.disabled = false;
          say(ctx, errorMessage(error));
        });
    });
  }
}

function say(ctx: PageContext, text: string): void {
  let flash = $('#settings-error', ctx.main);
  if (!flash) {
    flash = document.createElement('p');
    flash.id = 'settings-error';
    flash.className = 'flash error';
    flash.setAttribute('role', 'alert');
    ctx.main.prepend(flash);
  }
  flash.textContent = text;
}
