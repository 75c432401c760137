// Open sockets per client address (an IPv4 address, an IPv6 /64), bounded across every instance.
//
// Redis keeps one hash per address: a field per instance holding `<count>:<expires at>`, in Redis's own
// clock. Admission sums the live fields and adds to its own in one script, so two instances cannot both
// take the last slot. Each instance rewrites its true counts every HEARTBEAT_MS, which heals any drift
// (a lost decrement, a flushed Redis); the fields of an instance that died expire FIELD_TTL_MS after its
// last heartbeat, so a crash frees its slots within that time without anyone cleaning up after it.
// While Redis is unreachable each instance holds its own sockets to the limit alone (fail-safe, not open).
import type { Redis } from 'ioredis';
import { addressBucket } from '../http/client-ip.ts';
import type { Logger } from '../lib/logger.ts';

const HEARTBEAT_MS = 10_000;
const FIELD_TTL_MS = 30_000;

// KEYS[1] the address's hash; ARGV: instance, its count including the newcomer, limit, ttl ms.
const ADMIT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local total = tonumber(ARGV[2])
local fields = redis.call('HGETALL', KEYS[1])
for i = 1, #fields, 2 do
  if fields[i] ~= ARGV[1] then
    local count, expires = string.match(fields[i + 1], '^(%d+):(%d+)$')
    if count and tonumber(expires) >= now then
      total = total + tonumber(count)
    else
      redis.call('HDEL', KEYS[1], fields[i])
    end
  end
end
if total > tonumber(ARGV[3]) then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2] .. ':' .. (now + tonumber(ARGV[4])))
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return 1`;

// KEYS[1] the address's hash; ARGV: instance, its count, ttl ms. Zero removes the field.
const RECORD = `
if tonumber(ARGV[2]) <= 0 then
  redis.call('HDEL', KEYS[1], ARGV[1])
  return 0
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2] .. ':' .. (now + tonumber(ARGV[3])))
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1`;

export interface SocketsPerAddressOptions {
  redis: Redis;
  redisPrefix: string;
  /** This instance's name in the counts: unique per process run. */
  instanceId: string;
  limit: number;
  logger: Logger;
}

export class SocketsPerAddress {
  private readonly local = new Map<string, number>();
  private timer: NodeJS.Timeout | null = null;

  private readonly options: SocketsPerAddressOptions;

  constructor(options: SocketsPerAddressOptions) {
    this.options = options;
  }

  start(): void {
    this.timer ??= setInterval(() => void this.heartbeat(), HEARTBEAT_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /**
   * Takes a slot for a connection from `address`; answers the function that gives it back (call it once
   * the connection is gone), or null when the address already holds `limit` sockets.
   */
  async admit(address: string): Promise<(() => void) | null> {
    const bucket = addressBucket(address);
    // Counted locally first, so concurrent admissions on this instance each see the others.
    const count = (this.local.get(bucket) ?? 0) + 1;
    this.local.set(bucket, count);
    let admitted = count <= this.options.limit;
    // Down (not merely slow): do not make every handshake wait for the command's retries to run out.
    if (admitted && this.options.redis.status === 'ready') {
      try {
        const { redis, instanceId, limit } = this.options;
        admitted =
          (await redis.eval(ADMIT, 1, this.key(bucket), instanceId, count, limit, FIELD_TTL_MS)) === 1;
      } catch (error) {
        this.options.logger.warn(
          { err: error },
          'sockets per address: Redis unreachable, counting this instance only',
        );
      }
    }
    if (!admitted) {
      this.drop(bucket);
      return null;
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.drop(bucket);
    };
  }

  private drop(bucket: string): void {
    const count = (this.local.get(bucket) ?? 1) - 1;
    if (count > 0) this.local.set(bucket, count);
    else this.local.delete(bucket);
    this.record(bucket, count);
  }

  private record(bucket: string, count: number): void {
    const { redis, instanceId } = this.options;
    redis.eval(RECORD, 1, this.key(bucket), instanceId, Math.max(count, 0), FIELD_TTL_MS).catch(() => {
      // The next heartbeat writes the true count.
    });
  }

  private async heartbeat(): Promise<void> {
    for (const [bucket, count] of this.local) this.record(bucket, count);
  }

  private key(bucket: string): string {
    return `${this.options.redisPrefix}:sockets-per-address:${bucket}`;
  }
}
