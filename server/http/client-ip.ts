// The client's address: the first X-Forwarded-For hop only behind a trusted proxy (TRUST_PROXY), else the socket's.
// Rate limits never key the address as written: one host has many spellings (`::ffff:1.2.3.4` is 1.2.3.4,
// `2001:DB8::1` is `2001:db8:0:0:0:0:0:1`) and one IPv6 subscriber has a whole /64 (2^64 addresses), so
// every limiter keyed by client goes through addressBucket (and the account lockout through networkOf).
import { isIPv4, isIPv6 } from 'node:net';
import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context } from 'hono';

type Parsed = { v4: number[] } | { v6: number[] };

/** `[v6]:port`, `v4:port` and a zone (`%eth0`) are the same host: strip them. */
function bare(address: string): string {
  let a = address.trim();
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(a);
  if (bracketed) a = bracketed[1]!;
  else if (/^[\d.]+:\d+$/.test(a)) a = a.slice(0, a.indexOf(':'));
  const zone = a.indexOf('%');
  return zone === -1 ? a : a.slice(0, zone);
}

function parse(address: string): Parsed | null {
  const a = bare(address);
  if (isIPv4(a)) return { v4: a.split('.').map(Number) };
  if (!isIPv6(a)) return null;
  let text = a.toLowerCase();
  // A dotted tail (`::ffff:1.2.3.4`) is the last two groups.
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const [b0, b1, b2, b3] = dotted[1]!.split('.').map(Number) as [number, number, number, number];
    text = `${text.slice(0, dotted.index)}${((b0 << 8) | b1).toString(16)}:${((b2 << 8) | b3).toString(16)}`;
  }
  const [head, tail] = text.split('::') as [string, string | undefined];
  const groups = (s: string | undefined) => (s ? s.split(':').map((g) => Number.parseInt(g, 16)) : []);
  const h = groups(head);
  const t = groups(tail);
  const v6 = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill(0), ...t];
  // IPv4-mapped (::ffff:a.b.c.d): an IPv4 client seen through a dual-stack socket or proxy.
  if (v6.slice(0, 5).every((g) => g === 0) && v6[5] === 0xffff) {
    const [hi, lo] = [v6[6]!, v6[7]!];
    return { v4: [hi >> 8, hi & 255, lo >> 8, lo & 255] };
  }
  return { v6 };
}

const hex = (groups: number[]) => groups.map((g) => g.toString(16)).join(':');

/** One spelling per host (IPv4 dotted, IPv6 as eight lower-case groups); anything else is `unknown`. */
export function canonicalAddress(address: string): string {
  const p = parse(address);
  if (!p) return 'unknown';
  return 'v4' in p ? p.v4.join('.') : hex(p.v6);
}

/**
 * The rate-limit key of a client: its IPv4 address, or its IPv6 /64. Whatever does not parse shares one
 * bucket, so garbage cannot mint fresh keys.
 */
export function addressBucket(address: string): string {
  const p = parse(address);
  if (!p) return 'unknown';
  return 'v4' in p ? p.v4.join('.') : `${hex(p.v6.slice(0, 4))}::/64`;
}

/** The client's network for the account lockout: an IPv4 /24 or an IPv6 /64 (a household, an office). */
export function networkOf(address: string): string {
  const p = parse(address);
  if (!p) return 'unknown';
  return 'v4' in p ? `${p.v4.slice(0, 3).join('.')}.0/24` : `${hex(p.v6.slice(0, 4))}::/64`;
}

export function clientIp(c: Context, trustProxy: boolean): string {
  if (trustProxy) {
    const forwarded = c.req.header('x-forwarded-for')?.split(',')[0];
    if (forwarded && parse(forwarded)) return canonicalAddress(forwarded);
  }
  try {
    return canonicalAddress(getConnInfo(c).remote.address ?? '');
  } catch {
    // app.request() in tests has no socket.
    return 'unknown';
  }
}
