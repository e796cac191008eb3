import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { Counter, Registry } from 'prom-client';
import { METRICS } from '@ml-platform/contract/names';
import { defineCounter } from '../observability/metrics';
import type { RedisConnection } from '../redis/connection';
import { FixedWindowCounter, type WindowDecision } from './fixed-window';

/**
 * Per-identity request budgets: global through Redis with rate-limiter-flexible, or per process
 * with a synchronous counter of the same shape (fixed-window.ts).
 *
 * Shape of the limit: `burst` requests per window of `burst / rps` seconds (at least one second).
 * That keeps the two promises of a token bucket — a client can spend the whole burst at once, and
 * the long-run rate is `rps` — while staying one atomic INCR in Redis. Unlike a continuous bucket
 * the budget returns whole at the end of the window instead of trickling back, so two adjacent
 * windows can admit up to 2 × burst in a short span; over any interval of T seconds at most
 * rps·T + 2·burst requests pass.
 *
 * With Redis the count is global across replicas. A replica takes tokens from Redis in leases of
 * burst / (32 × replicas) at a time (one token when that is under 16), so a key with a large budget
 * costs a Redis round trip per lease instead of per request. Leased tokens are counted in Redis
 * before they are spent, so leasing never admits more than the budget; it can admit less, by at
 * most one lease per replica per window (about 3% of the burst).
 *
 * While Redis is unreachable each replica falls back to a local limiter with its share of the
 * budget (burst / replicas): never unlimited, never rejecting everyone.
 *
 * A decision that needs no Redis round trip (the local store, or a token from a lease already
 * held) is returned synchronously, so the common admitted request does not wait for a later tick.
 */
export interface RateLimitSpec {
  rps: number;
  burst: number;
}

export interface RateLimitDecision {
  allowed: boolean;
  /** `RateLimit-Limit`: requests per window. */
  limit: number;
  /** `RateLimit-Remaining`. */
  remaining: number;
  /** `RateLimit-Reset`: seconds until the window's budget is back. */
  resetSeconds: number;
  /** `Retry-After` on a rejection. */
  retryAfterSeconds?: number;
  /** Which store decided: the shared Redis count or this replica's own. */
  store: 'redis' | 'local';
}

export interface RateLimiterOptions {
  /** Used when `consume` is given no spec. */
  defaults?: RateLimitSpec;
  redis?: RedisConnection;
  /**
   * Processes sharing the budget, read at each decision: each local limiter admits burst / this.
   * With Redis it matters only during an outage; without Redis it splits the budget between the
   * worker processes of one replica.
   */
  replicas?: () => number;
  registry?: Registry;
  keyPrefix?: string;
}

export function windowOf(spec: RateLimitSpec): { points: number; durationSeconds: number } {
  const durationSeconds = Math.max(1, spec.burst / spec.rps);
  return { points: Math.max(1, Math.round(spec.rps * durationSeconds)), durationSeconds };
}

/** The name rate-limiter-flexible calls its increment script by, on the ioredis client. */
const INCR_COMMAND = 'rlflxIncr';

/**
 * rate-limiter-flexible's own increment script with millisecond expiry, so a window need not be a
 * whole number of seconds (ARGV[4] is the limiter's duration in seconds).
 */
const INCR_PX_SCRIPT = `redis.call('set', KEYS[1], 0, 'PX', math.floor(tonumber(ARGV[4]) * 1000), 'NX')
local consumed = redis.call('incrby', KEYS[1], ARGV[1])
local ttl = redis.call('pttl', KEYS[1])
if ttl == -1 then
  redis.call('pexpire', KEYS[1], math.floor(tonumber(ARGV[4]) * 1000))
  ttl = math.floor(tonumber(ARGV[4]) * 1000)
end
return {consumed, ttl}`;

interface Settled {
  res: RateLimiterRes;
  allowed: boolean;
}

/** rate-limiter-flexible rejects with a RateLimiterRes; anything else it rejects with is a store failure. */
function settle(p: Promise<RateLimiterRes>): Promise<Settled> {
  return p.then(
    (res) => ({ res, allowed: true }),
    (r: unknown) => {
      if (r instanceof RateLimiterRes) return { res: r, allowed: false };
      throw r;
    },
  );
}

/**
 * Tokens taken from Redis in one round trip. Small leases would make concurrent callers queue for
 * their turn at Redis; below 16 tokens every request asks Redis for its own.
 */
export function leaseSize(points: number, replicas: number): number {
  const size = Math.floor(points / (32 * Math.max(1, replicas)));
  return size >= 16 ? size : 1;
}

interface Lease {
  tokens: number;
  /** Redis' remaining count when the lease was taken. */
  remaining: number;
  /** The lease's tokens belong to the Redis window that ends here (Date.now() clock). */
  expiresAt: number;
}

export class RateLimiter {
  private readonly shared = new Map<string, RateLimiterRedis>();
  private readonly leases = new Map<string, Lease>();
  private readonly leasing = new Map<string, Promise<Settled>>();
  private readonly local = new Map<string, FixedWindowCounter>();
  private readonly rejections?: Counter<'store'>;
  private readonly prefix: string;

  constructor(private readonly options: RateLimiterOptions) {
    this.prefix = options.keyPrefix ?? 'mlp:rl';
    // rate-limiter-flexible defines its script command on the client when a limiter is first made,
    // which here is at a spec's first request. An auto-pipeline that another command opened earlier
    // in that tick lacks the command; ioredis then misaligns that pipeline's replies and throws
    // `results[i] is not iterable` where nothing can catch it, killing the process (ioredis issue
    // 1931). Defined here, before the service takes traffic, every later pipeline has it.
    options.redis?.client.defineCommand(INCR_COMMAND, { numberOfKeys: 1, lua: INCR_PX_SCRIPT });
    if (options.registry)
      this.rejections = defineCounter(options.registry, {
        ...METRICS.rateLimitRejections,
        help: 'Requests answered 429, by the store that decided (redis: global budget, local: per-replica fallback).',
      });
  }

  consume(identity: string, spec?: RateLimitSpec): RateLimitDecision | Promise<RateLimitDecision> {
    spec ??= this.options.defaults;
    if (!spec) throw new Error('RateLimiter.consume: no limit given and no default configured');
    const redis = this.options.redis;
    const share = Math.max(1, this.options.replicas?.() ?? 1);
    if (redis?.isUp()) {
      const limiter = this.sharedLimiter(spec);
      const leased = this.fromLease(limiter, identity);
      if (leased) return leased;
      // Redis failed mid-request: this request is decided locally like the ones after it.
      return this.consumeShared(redis, limiter, identity, share).catch(() =>
        this.consumeLocal(identity, spec, share),
      );
    }
    return this.consumeLocal(identity, spec, share);
  }

  private consumeLocal(identity: string, spec: RateLimitSpec, share: number): RateLimitDecision {
    const counter = this.localCounter(spec, share);
    const d = counter.consume(identity);
    return this.decide(d, counter.points, 'local');
  }

  /** A token from the lease this replica already holds for `identity`, if it has one left. */
  private fromLease(limiter: RateLimiterRedis, identity: string): RateLimitDecision | undefined {
    const lease = this.leases.get(leaseIdOf(limiter, identity));
    const now = Date.now();
    if (!lease || lease.tokens <= 0 || now >= lease.expiresAt) return undefined;
    lease.tokens--;
    return {
      allowed: true,
      limit: limiter.points,
      remaining: lease.remaining + lease.tokens,
      resetSeconds: Math.ceil((lease.expiresAt - now) / 1000),
      store: 'redis',
    };
  }

  private async consumeShared(
    redis: RedisConnection,
    limiter: RateLimiterRedis,
    identity: string,
    replicas: number,
  ): Promise<RateLimitDecision> {
    const size = leaseSize(limiter.points, replicas);
    // A rejection is an answer, not a Redis failure: keep it out of the Redis breaker's count.
    const take = (points: number) => redis.run(() => settle(limiter.consume(identity, points)));
    if (size === 1) return this.fromRedis(await take(1), limiter.points);
    const leaseId = leaseIdOf(limiter, identity);
    // One lease in flight per key: callers that find no tokens wait for it, then try again. Each
    // round either serves callers from a lease or ends in a rejection that Redis' in-memory block
    // repeats locally, so the loop ends.
    for (;;) {
      const leased = this.fromLease(limiter, identity);
      if (leased) return leased;
      const pending = this.leasing.get(leaseId);
      if (pending) {
        await pending.catch(() => undefined);
        continue;
      }
      const now = Date.now();
      const taking = take(size);
      this.leasing.set(leaseId, taking);
      try {
        const outcome = await taking;
        if (outcome.allowed)
          this.leases.set(leaseId, {
            tokens: size - 1,
            remaining: outcome.res.remainingPoints,
            expiresAt: now + outcome.res.msBeforeNext,
          });
        return this.fromRedis(outcome, limiter.points);
      } finally {
        this.leasing.delete(leaseId);
      }
    }
  }

  private fromRedis({ res, allowed }: Settled, limit: number): RateLimitDecision {
    return this.decide(
      { allowed, remaining: res.remainingPoints, msBeforeNext: res.msBeforeNext },
      limit,
      'redis',
    );
  }

  private decide(
    { allowed, remaining, msBeforeNext }: WindowDecision,
    limit: number,
    store: 'redis' | 'local',
  ): RateLimitDecision {
    const resetSeconds = Math.max(0, Math.ceil(msBeforeNext / 1000));
    if (!allowed) this.rejections?.inc({ store });
    return {
      allowed,
      limit,
      remaining,
      resetSeconds,
      retryAfterSeconds: allowed ? undefined : Math.max(1, resetSeconds),
      store,
    };
  }

  private sharedLimiter(spec: RateLimitSpec): RateLimiterRedis {
    const id = `${spec.rps}:${spec.burst}`;
    let l = this.shared.get(id);
    if (!l) {
      const { points, durationSeconds } = windowOf(spec);
      l = new RateLimiterRedis({
        storeClient: this.options.redis!.client,
        points,
        duration: durationSeconds,
        keyPrefix: `${this.prefix}:${id}`,
        customIncrTtlLuaScript: INCR_PX_SCRIPT,
        // Once a key is over its budget, this replica rejects it locally until the window ends:
        // an abusive client costs no Redis round trips.
        inMemoryBlockOnConsumed: points + 1,
      });
      this.shared.set(id, l);
    }
    return l;
  }

  private localCounter(spec: RateLimitSpec, share: number): FixedWindowCounter {
    const id = `${spec.rps}:${spec.burst}:${share}`;
    let counter = this.local.get(id);
    if (!counter) {
      const { points, durationSeconds } = windowOf(spec);
      counter = new FixedWindowCounter(Math.max(1, Math.floor(points / share)), durationSeconds * 1000);
      this.local.set(id, counter);
    }
    return counter;
  }
}

function leaseIdOf(limiter: RateLimiterRedis, identity: string): string {
  return `${limiter.keyPrefix}\u0000${identity}`;
}
