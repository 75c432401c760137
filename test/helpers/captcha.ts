// CAPTCHA for tests: fetch GET /api/v1/auth/captcha and solve it (tests run with a small CAPTCHA_MAX_NUMBER).
import { type CaptchaChallenge, solveCaptcha } from '@plaza/client';

/** Anything that answers a GET by path: `app.request` in-process, or `(p) => fetch(server.url + p)`. */
export type Requester = (path: string) => Response | Promise<Response>;

export async function fetchCaptcha(request: Requester): Promise<CaptchaChallenge> {
  const res = await request('/api/v1/auth/captcha');
  if (res.status !== 200) throw new Error(`GET /auth/captcha answered ${res.status}`);
  return (await res.json()) as CaptchaChallenge;
}

/** A solved payload, the value of `captcha` in register, login, login-code and password/forgot. */
export async function captcha(request: Requester): Promise<string> {
  return solveCaptcha(await fetchCaptcha(request));
}
