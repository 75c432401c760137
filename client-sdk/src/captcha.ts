// Solving an ALTCHA proof-of-work challenge (SHA-256 with maxnumber), in browsers and Node alike.
import { solveChallenge } from 'altcha-lib/v1';

export interface CaptchaChallenge {
  algorithm: string;
  challenge: string;
  maxnumber: number;
  salt: string;
  signature: string;
}

/** Finds the number and returns the base64 payload that register/login/… expect as `captcha`. */
export async function solveCaptcha(challenge: CaptchaChallenge): Promise<string> {
  const started = Date.now();
  const solution = await solveChallenge(
    challenge.challenge,
    challenge.salt,
    challenge.algorithm,
    challenge.maxnumber,
  ).promise;
  if (!solution) throw new Error('The CAPTCHA challenge has no solution');
  const payload = {
    algorithm: challenge.algorithm,
    challenge: challenge.challenge,
    number: solution.number,
    salt: challenge.salt,
    signature: challenge.signature,
    took: Date.now() - started,
  };
  return btoa(JSON.stringify(payload));
}
