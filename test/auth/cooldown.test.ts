import { describe, expect, it } from 'vitest';
import { assertRole } from '../../server/auth/actor.ts';
import { cooldownMs } from '../../server/auth/code-cooldown.ts';

describe('wrong-code cooldown', () => {
  it('is min(30 s × 2^(failures − 2), 1 h) from the second failure on', () => {
    expect([0, 1, 2, 3, 4, 8, 9, 30].map(cooldownMs)).toEqual([
      0, 0, 30_000, 60_000, 120_000, 1_920_000, 3_600_000, 3_600_000,
    ]);
  });
});

describe('role guard for services and socket commands', () => {
  const actor = (role: 'member' | 'moderator' | 'admin') => ({
    userId: 'u',
    username: 'u',
    sessionId: 's',
    role,
  });

  it('refuses anonymous with unauthenticated and lower roles with forbidden', () => {
    expect(() => assertRole(null, 'member')).toThrow(expect.objectContaining({ code: 'unauthenticated' }));
    expect(() => assertRole(actor('member'), 'moderator')).toThrow(
      expect.objectContaining({ code: 'forbidden' }),
    );
    expect(assertRole(actor('admin'), 'moderator').role).toBe('admin');
  });
});
