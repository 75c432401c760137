// @plaza/client: typed access to a Plaza server — REST and live pushes, in browsers and Node 20.
export { type CaptchaChallenge, solveCaptcha } from './captcha.ts';
export * from './client.ts';
export { PlazaError } from './errors.ts';
export type * from './inputs.ts';
export * from './live.ts';
export type { UploadOptions } from './media.ts';
export type * from './protocol.ts';
export { PRESENCE_STATS, PUSH_TYPES, SEQ_HEADER } from './protocol.ts';
