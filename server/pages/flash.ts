// What the last form did, shown once by the page it redirects to: a short-lived cookie, never a query
// string, so nobody can put words in Plaza's mouth with a crafted link.
import type { Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';

export const FLASH_COOKIE = 'plaza_flash';

export interface Flash {
  kind: 'ok' | 'error';
  text: string;
  /** Where to go next to fix it (sign in, verify the email…), shown as a link after the text. */
  link?: { href: string; label: string };
  /** The id of the page section the form was in: a page may show the flash there rather than at the top. */
  anchor?: string;
}

export function setFlash(c: Context, flash: Flash): void {
  setCookie(c, FLASH_COOKIE, encodeURIComponent(JSON.stringify(flash)), {
    path: '/',
    httpOnly: true,
    sameSite: 'Lax',
    maxAge: 60,
  });
}

/** The flash of the request, cleared as it is read: a reload does not show it again. */
export function takeFlash(c: Context): Flash | null {
  const value = getCookie(c, FLASH_COOKIE);
  if (!value) return null;
  deleteCookie(c, FLASH_COOKIE, { path: '/' });
  try {
    const flash = JSON.parse(decodeURIComponent(value)) as Partial<Flash>;
    if ((flash.kind !== 'ok' && flash.kind !== 'error') || typeof flash.text !== 'string') return null;
    const link =
      flash.link && typeof flash.link.href === 'string' && flash.link.href.startsWith('/')
        ? { href: flash.link.href, label: String(flash.link.label) }
        : undefined;
    const anchor =
      typeof flash.anchor === 'string' && /^[a-z][a-z0-9-]{0,40}$/.test(flash.anchor)
        ? flash.anchor
        : undefined;
    return {
      kind: flash.kind,
      text: flash.text.slice(0, 500),
      ...(link ? { link } : {}),
      ...(anchor ? { anchor } : {}),
    };
  } catch {
    return null;
  }
}
