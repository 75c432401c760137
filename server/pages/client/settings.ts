// /settings with the script: the same forms, done through the SDK without leaving the page.
import { wireAvatarSettings } from './avatar-settings.ts';
import type { PageContext } from './context.ts';
import { $, $$, errorMessage, showError } from './dom.ts';
import { checkLimits } from './limits.ts';

export async function settingsPage(ctx: PageContext): Promise<void> {
  refuseOverLimits($<HTMLFormElement>('#profile-form', ctx.main));
  wireAvatarSettings(ctx);
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

/** The profile form still posts itself (settings.forms.ts); an over-long field is refused before it goes. */
function refuseOverLimits(form: HTMLFormElement | null): void {
  form?.addEventListener('submit', (event) => {
    const error = $('.error', form);
    try {
      checkLimits(form);
      if (error) error.textContent = '';
    } catch (refusal) {
      event.preventDefault();
      if (error) showError(error, refusal);
    }
  });
}
