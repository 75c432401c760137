import { describe, expect, it } from 'vitest';
import { addressBucket, canonicalAddress, networkOf } from '../../server/http/client-ip.ts';

describe('client addresses as limit keys', () => {
  it('spells one host one way', () => {
    for (const spelling of ['2001:DB8::1', '2001:0db8:0:0:0:0:0:1', '[2001:db8::1]:443', '2001:db8::1%eth0'])
      expect(canonicalAddress(spelling)).toBe('2001:db8:0:0:0:0:0:1');
    for (const spelling of [
      '192.0.2.7',
      '::ffff:192.0.2.7',
      '::FFFF:c000:207',
      '192.0.2.7:5555',
      ' 192.0.2.7 ',
    ])
      expect(canonicalAddress(spelling)).toBe('192.0.2.7');
  });

  it('buckets IPv6 by /64 and IPv4 by address; networks are /64 and /24', () => {
    expect(addressBucket('2001:db8:1:2:aaaa::1')).toBe(addressBucket('2001:db8:1:2:ffff:ffff:ffff:ffff'));
    expect(addressBucket('2001:db8:1:2::1')).not.toBe(addressBucket('2001:db8:1:3::1'));
    expect(addressBucket('192.0.2.7')).not.toBe(addressBucket('192.0.2.8'));
    expect(networkOf('192.0.2.7')).toBe(networkOf('::ffff:192.0.2.200'));
    expect(networkOf('192.0.2.7')).not.toBe(networkOf('192.0.3.7'));
    expect(networkOf('2001:db8:1:2::1')).toBe('2001:db8:1:2::/64');
  });

  it('puts whatever is not an address into one shared bucket', () => {
    expect(addressBucket('not an address')).toBe('unknown');
    expect(addressBucket('1.2.3.4.5')).toBe('unknown');
    expect(networkOf('')).toBe('unknown');
  });
});
