// A person's picture wherever a UserRef is shown: their 96 px avatar, or their initials on a colour of
// their own (the same on every page and instance: it comes from the user id) when they have none. The
// colour is one of twelve classes (plaza.css), not a style attribute, which the pages' CSP refuses.
import type { UserRef } from '@plaza/client/protocol';

export type AvatarSize = 'small' | 'medium' | 'large';

const pixels: Record<AvatarSize, number> = { small: 24, medium: 40, large: 96 };

/** Up to two letters: the first of the first and last words of the name (the username when it has none). */
export function initialsOf(user: Pick<UserRef, 'displayName' | 'username'>): string {
  const words = (user.displayName.trim() || user.username).split(/\s+/).filter(Boolean);
  const first = [...(words[0] ?? '?')][0] ?? '?';
  const last = words.length > 1 ? ([...(words.at(-1) ?? '')][0] ?? '') : '';
  return (first + last).toUpperCase();
}

export const AVATAR_HUES = 12;

/** One of the twelve hues (FNV-1a of the id). */
export function hueOf(id: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) hash = Math.imul(hash ^ id.charCodeAt(i), 0x01000193);
  return (hash >>> 0) % AVATAR_HUES;
}

export function Avatar({
  user,
  size = 'medium',
  src,
}: {
  user: Pick<UserRef, 'id' | 'displayName' | 'username' | 'avatarUrl'>;
  size?: AvatarSize;
  /** A larger variant than the 96 px `avatarUrl` (a profile's 400 px). */
  src?: string | null;
}) {
  const px = pixels[size];
  const url = src ?? user.avatarUrl;
  const name = user.displayName || user.username;
  if (url) {
    return (
      <img
        class={`avatar avatar-${size}`}
        src={url}
        alt={name}
        width={String(px)}
        height={String(px)}
        loading="lazy"
        decoding="async"
      />
    );
  }
  return (
    <span class={`avatar avatar-${size} initials hue-${hueOf(user.id)}`} role="img" aria-label={name}>
      {initialsOf(user)}
    </span>
  );
}
