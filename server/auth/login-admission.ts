// What a password login asks of Redis before its hash, in one script: count the client address, use the
// CAPTCHA once, and — only when both passed — count the account from the client's network, then (only when
// that passed) the account from everywhere. The same counts and the same order as the limits' own calls
// (auth.limits.ts, rate-limit.ts), which took three round trips and four commands per login.
import type { Redis } from 'ioredis';
import { COUNT_IN_SCRIPT, countArgs, type RateLimit } from '../lib/rate-limit.ts';
import { type CaptchaClaim, type CaptchaDeps, captchaFailed } from './captcha.ts';

const ADMIT = `${COUNT_IN_SCRIPT}
local ip, ip_ttl = count(KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]))
local fresh = 0
if ARGV[5] == '1' and redis.call('set', KEYS[2], '1', 'PX', ARGV[6], 'NX') then fresh = 1 end
if ip > tonumber(ARGV[3]) or fresh == 0 then return {ip, ip_ttl, fresh} end
local net, net_ttl = count(KEYS[3], tonumber(ARGV[7]), tonumber(ARGV[8]), tonumber(ARGV[9]), tonumber(ARGV[10]))
if net > tonumber(ARGV[9]) then return {ip, ip_ttl, fresh, net, net_ttl} end
local all, all_ttl = count(KEYS[4], tonumber(ARGV[11]), tonumber(ARGV[12]), tonumber(ARGV[13]), tonumber(ARGV[14]))
return {ip, ip_ttl, fresh, net, net_ttl, all, all_ttl}`;

/** A right password: the network's count starts again, and the try goes back to the all-networks ceiling. */
const ADMITTED = `${COUNT_IN_SCRIPT}
redis.call('del', KEYS[1])
count(KEYS[2], tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]))
return 1`;

type Command = (...args: Array<string | number>) => Promise<number[]>;
const defined = new WeakSet<Redis>();

/** The scripts as commands of this client: sent by their SHA, the text only when Redis does not know it. */
function commands(redis: Redis): { admit: Command; admitted: Command } {
  if (!defined.has(redis)) {
    redis.defineCommand('plazaAdmitLogin', { numberOfKeys: 4, lua: ADMIT });
    redis.defineCommand('plazaLoginAdmitted', { numberOfKeys: 2, lua: ADMITTED });
    // Each goes alone in its turn of the event loop: auto-pipelining would only wrap it in a pipeline of
    // one, whose construction copies every script of the client (perf: ~3 % of a login's request loop).
    redis.options.autoPipeliningIgnoredCommands = [
      ...(redis.options.autoPipeliningIgnoredCommands ?? []),
      'plazaAdmitLogin',
      'plazaLoginAdmitted',
    ];
    defined.add(redis);
  }
  const all = redis as unknown as { plazaAdmitLogin: Command; plazaLoginAdmitted: Command };
  return { admit: all.plazaAdmitLogin.bind(redis), admitted: all.plazaLoginAdmitted.bind(redis) };
}

export interface LoginAdmission {
  perAddress: RateLimit;
  perAccountNetwork: RateLimit;
  perAccount: RateLimit;
  captcha: CaptchaDeps;
}

/**
 * `claim`: the CAPTCHA's (captchaClaim), null when it is missing or invalid.
 * Throws what the calls one after the other would have thrown first: `rate_limited` for the address, then
 * `captcha_failed` (missing, invalid, expired or used), then `rate_limited` for the account from this
 * network (a lockout, reported when it starts), then for the account from everywhere. An address over its
 * limit still uses the CAPTCHA, and a refused request still counts against its address, as before.
 */
export async function admitLogin(
  limits: LoginAdmission,
  keys: { address: string; lockout: string; account: string },
  claim: CaptchaClaim | null,
): Promise<void> {
  const [ip = 0, ipTtl = 0, fresh = 0, net, netTtl, all, allTtl] = await commands(limits.captcha.redis).admit(
    limits.perAddress.storeKey(keys.address),
    claim?.key ?? `${limits.captcha.redisPrefix}:captcha:-`,
    limits.perAccountNetwork.storeKey(keys.lockout),
    limits.perAccount.storeKey(keys.account),
    ...countArgs(limits.perAddress),
    claim ? 1 : 0,
    claim?.ttlMs ?? 0,
    ...countArgs(limits.perAccountNetwork),
    ...countArgs(limits.perAccount),
  );
  limits.perAddress.settle(keys.address, ip, ipTtl);
  if (fresh !== 1) throw captchaFailed();
  limits.perAccountNetwork.settle(keys.lockout, net ?? 0, netTtl ?? 0);
  limits.perAccount.settle(keys.account, all ?? 0, allTtl ?? 0);
}

/**
 * After a right password: what `reset` of the network's count and `refund` of the account's do, in one
 * command. Should Redis fail, those calls themselves run (they fall back to the in-memory limiters).
 */
export async function loginSucceeded(
  limits: LoginAdmission,
  keys: { lockout: string; account: string },
): Promise<void> {
  try {
    await commands(limits.captcha.redis).admitted(
      limits.perAccountNetwork.storeKey(keys.lockout),
      limits.perAccount.storeKey(keys.account),
      -1,
      ...countArgs(limits.perAccount).slice(1),
    );
  } catch {
    await Promise.all([limits.perAccountNetwork.reset(keys.lockout), limits.perAccount.refund(keys.account)]);
  }
}
