// What the account services are built from: the shared deps plus their limits, cooldown and CAPTCHA settings.
import type { Deps } from '../deps.ts';
import { type AuthLimits, createAuthLimits } from './auth.limits.ts';
import type { CaptchaDeps } from './captcha.ts';
import { CodeCooldown } from './code-cooldown.ts';

export interface AuthContext extends Deps {
  limits: AuthLimits;
  cooldown: CodeCooldown;
  captcha: CaptchaDeps;
}

/** Who is asking, as far as limits and session listings care. */
export interface ClientInfo {
  ip: string;
  userAgent: string;
}

export function createAuthContext(deps: Deps): AuthContext {
  return {
    ...deps,
    limits: createAuthLimits(deps.redis, deps.config.redisPrefix, deps.logger),
    cooldown: new CodeCooldown(deps.redis, deps.config.redisPrefix),
    captcha: {
      redis: deps.redis,
      redisPrefix: deps.config.redisPrefix,
      hmacKey: deps.config.captchaHmacKey,
      maxNumber: deps.config.captchaMaxNumber,
    },
  };
}
