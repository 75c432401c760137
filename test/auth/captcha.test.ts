// The CAPTCHA check done with node:crypto agrees with altcha-lib's own verifySolution (WebCrypto) on what it
// accepts, and is stricter where the service needs it (an expiry is required). Single use: register.test.ts.
import { solveCaptcha } from '@plaza/client';
import { createChallenge, verifySolution } from 'altcha-lib/v1';
import { describe, expect, it } from 'vitest';
import { type CaptchaDeps, createCaptcha, verifyCaptchaSolution } from '../../server/auth/captcha.ts';

const hmacKey = 'test-captcha-key-0123456789';
const deps = { hmacKey, maxNumber: 50 } as CaptchaDeps;

const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64');
const decode = (payload: string) =>
  JSON.parse(Buffer.from(payload, 'base64').toString()) as {
    algorithm: string;
    challenge: string;
    number: number;
    salt: string;
    signature: string;
  };

async function solved(): Promise<string> {
  return solveCaptcha(await createCaptcha(deps));
}

describe('verifyCaptchaSolution', () => {
  it('accepts what altcha-lib accepts: a solved, signed, unexpired challenge', async () => {
    for (let i = 0; i < 5; i++) {
      const payload = await solved();
      const { challenge, salt } = decode(payload);
      expect(await verifySolution(payload, hmacKey, true)).toBe(true);
      const verified = verifyCaptchaSolution(payload, hmacKey);
      expect(verified?.challenge).toBe(challenge);
      expect(verified?.expires).toBe(Number(new URLSearchParams(salt.split('?')[1]).get('expires')));
    }
  });

  it('refuses what altcha-lib refuses: a wrong number, a forged signature, a tampered salt or challenge', async () => {
    const good = decode(await solved());
    const forgedSalt = good.salt.replace(/expires=(\d+)/, (_m, s: string) => `expires=${Number(s) + 3600}`);
    const tampered = [
      { ...good, number: good.number + 1 },
      { ...good, signature: good.signature.replace(/^./, (c) => (c === 'a' ? 'b' : 'a')) },
      { ...good, signature: good.signature.slice(1) },
      { ...good, salt: forgedSalt },
      { ...good, challenge: good.challenge.replace(/^./, (c) => (c === 'a' ? 'b' : 'a')) },
    ];
    for (const value of tampered) {
      const payload = encode(value);
      expect(await verifySolution(payload, hmacKey, true)).toBe(false);
      expect(verifyCaptchaSolution(payload, hmacKey)).toBeNull();
    }
    // Another deployment's key signs nothing here.
    expect(verifyCaptchaSolution(encode(good), 'another key')).toBeNull();
  });

  it('refuses an expired challenge, and one without an expiry (altcha-lib would take that one)', async () => {
    const expired = await createChallenge({
      algorithm: 'SHA-256',
      hmacKey,
      maxnumber: 50,
      expires: new Date(Date.now() - 1_000),
    });
    const expiredPayload = await solveCaptcha({ ...expired, maxnumber: 50 });
    expect(await verifySolution(expiredPayload, hmacKey, true)).toBe(false);
    expect(verifyCaptchaSolution(expiredPayload, hmacKey)).toBeNull();

    const timeless = await createChallenge({ algorithm: 'SHA-256', hmacKey, maxnumber: 50 });
    const timelessPayload = await solveCaptcha({ ...timeless, maxnumber: 50 });
    expect(await verifySolution(timelessPayload, hmacKey, true)).toBe(true);
    expect(verifyCaptchaSolution(timelessPayload, hmacKey)).toBeNull();
  });

  it('refuses garbage without throwing', () => {
    for (const payload of ['', 'not base64 json', encode({}), encode({ algorithm: 'SHA-1' }), encode([1])]) {
      expect(verifyCaptchaSolution(payload, hmacKey)).toBeNull();
    }
  });
});
