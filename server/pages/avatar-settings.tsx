// The picture section of /settings: the current avatar (or initials), a new one uploaded in place (needs
// the script: client/avatar-settings.ts), and removal by a form that works without it (avatar.forms.ts).
import type { Me } from '@plaza/client/protocol';
import { Avatar } from './components/avatar.tsx';
import { SingleUpload } from './components/single-upload.tsx';

export function AvatarRemoveForm() {
  return (
    <form method="post" action="/settings/avatar/delete" id="avatar-remove">
      <input type="hidden" name="back" value="/settings#avatar" />
      <button type="submit" class="secondary">
        Remove picture
      </button>
    </form>
  );
}

export function AvatarSection({ me }: { me: Me }) {
  return (
    <section id="avatar" class="settings-section" aria-labelledby="avatar-title">
      <h2 id="avatar-title">Picture</h2>
      <div class="card avatar-settings">
        <span id="avatar-current">
          <Avatar user={me} size="large" src={me.avatar?.large ?? null} />
        </span>
        <div class="avatar-controls">
          <p class="meta">
            Shown beside your name everywhere, cropped to a square. Without one, your initials are shown.
          </p>
          <SingleUpload
            id="avatar-upload"
            label={me.avatar ? 'Upload a new picture' : 'Upload a picture'}
            note="Uploading a picture needs JavaScript."
          />
          {me.avatar ? <AvatarRemoveForm /> : null}
        </div>
      </div>
    </section>
  );
}
