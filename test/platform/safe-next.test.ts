// `?next=` after login: only a path on our own origin, whatever the spelling of another one.
import { describe, expect, it } from 'vitest';
import { safeNext } from '../../server/pages/safe-next.ts';

const ORIGIN = 'https://plaza.example';

describe('safeNext', () => {
  it.each([
    '/\\evil.example',
    '/%5Cevil.example'.replace('%5C', '\\'), // what URLSearchParams hands over for `?next=/%5Cevil.example`
    '/\t/evil.example',
    '/\n/evil.example',
    '/\r\n/evil.example',
    '/\u0000/evil.example',
    '/\u007f/evil.example',
    '//evil.example',
    '///evil.example',
    '/\\/evil.example',
    '\\\\evil.example',
    '\\/evil.example',
    '/.//evil.example',
    '/a/..//evil.example',
    'https://evil.example',
    'https:evil.example',
    'http://plaza.example.evil.example/',
    '//plaza.example@evil.example',
    'javascript:alert(1)',
    'JaVaScRiPt:alert(1)',
    ' javascript:alert(1)',
    'data:text/html,<script>alert(1)</script>',
    'evil.example',
    ' /x',
    '',
    null,
    undefined,
    `/${'a'.repeat(2_001)}`,
  ])('refuses %j', (next) => {
    expect(safeNext(next, ORIGIN)).toBe('/');
  });

  it.each([
    ['/', '/'],
    ['/wallet', '/wallet'],
    ['/events/01J9ZQ', '/events/01J9ZQ'],
    ['/posts/1?x=1#c2', '/posts/1?x=1#c2'],
    // Encoded slashes and backslashes stay encoded: a path segment on our origin, not a host.
    ['/%2F%2Fevil.example', '/%2F%2Fevil.example'],
    ['/%5Cevil.example', '/%5Cevil.example'],
    ['/%09/evil.example', '/%09/evil.example'],
    ['/a/../wallet', '/wallet'],
    ['/search?q=a b', '/search?q=a%20b'],
  ])('keeps %j as %j', (next, expected) => {
    expect(safeNext(next, ORIGIN)).toBe(expected);
  });

  it('never returns anything that leaves the origin, whatever it is given', () => {
    const pieces = ['/', '\\', '.', '%2f', '%5c', '\t', ' ', 'evil.example', ':', '@', '?', '#', 'x'];
    let checked = 0;
    const walk = (prefix: string, depth: number) => {
      if (depth === 0) return;
      for (const piece of pieces) {
        const next = prefix + piece;
        const out = safeNext(next, ORIGIN);
        expect(out.startsWith('/') && !out.startsWith('//'), next).toBe(true);
        expect(new URL(out, ORIGIN).origin, next).toBe(ORIGIN);
        checked++;
        walk(next, depth - 1);
      }
    };
    walk('', 4);
    expect(checked).toBeGreaterThan(30_000);
  });
});
