// /settings' picture with the script: a new one uploads in place and becomes the avatar (PUT /me/avatar);
// removing is the same form as without the script, done through the SDK.
import type { Me } from '@plaza/client';
import { AvatarRemoveForm } from '../avatar-settings.tsx';
import { Avatar } from '../components/avatar.tsx';
import type { PageContext } from './context.ts';
import { $, html, showError } from './dom.ts';
import { wireSingleUpload } from './single-upload.ts';

export function wireAvatarSettings(ctx: PageContext): void {
  const root = $<HTMLElement>('#avatar-upload', ctx.main);
  const current = $('#avatar-current', ctx.main);
  if (!root || !current) return;
  const show = (me: Me) => {
    current.innerHTML = html(Avatar({ user: me, size: 'large', src: me.avatar?.large ?? null }));
    const remove = $('#avatar-remove', ctx.main);
    if (me.avatar && !remove) root.insertAdjacentHTML('afterend', html(AvatarRemoveForm()));
    if (!me.avatar) remove?.remove();
  };
  const upload = wireSingleUpload(ctx.client, root, async (media) => {
    show(await ctx.client.me.setAvatar(media.id));
    return 'Your new picture is saved.';
  });
  ctx.main.addEventListener('submit', (event) => {
    const form = event.target as HTMLFormElement;
    if (form.id !== 'avatar-remove') return;
    event.preventDefault();
    const button = $<HTMLButtonElement>('button', form);
    if (button) button.disabled = true;
    ctx.client.me
      .deleteAvatar()
      .then((me) => {
        show(me);
        upload.say('Your picture is removed.');
      })
      .catch((error: unknown) => {
        if (button) button.disabled = false;
        const slot = $('.upload-status', root);
        if (slot) showError(slot, error);
      });
  });
}
