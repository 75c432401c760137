// Where to go after logging in: `?next=` is the visitor's input, so only a path on our own origin is
// followed. Shared by the login page (server) and its script (browser): one rule for both.

const unsafe = (ch: string) => ch === '\\' || ch < ' ' || ch === '\u007f';

/** `next` as a path of `origin` (path, query and fragment), or `/` for anything that could leave it. */
export function safeNext(next: string | null | undefined, origin: string): string {
  if (!next || next.length > 2_000) return '/';
  // A path, and nothing a URL parser reads differently from how it looks: `\` counts as `/` in
  // browsers (`/\evil.example` is `//evil.example`), and tabs, newlines and other control
  // characters are dropped (`/\t/evil.example` is `//evil.example` too).
  if (!next.startsWith('/') || [...next].some(unsafe)) return '/';
  let url: URL;
  let own: URL;
  try {
    own = new URL(origin);
    url = new URL(next, own);
  } catch {
    return '/';
  }
  if (url.origin !== own.origin) return '/';
  const path = `${url.pathname}${url.search}${url.hash}`;
  // Dot segments can leave `//host` after normalising (`/.//evil.example`), which is a host again.
  return path.startsWith('//') ? '/' : path;
}
