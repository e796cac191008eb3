import { LRUCache } from 'lru-cache';
import type { Counter, Gauge, Registry } from 'prom-client';
import { METRICS } from '@ml-platform/contract/names';
import { defineCounter, defineCounterTally, defineGauge } from '../observability/metrics';
import { PerVersion, type CounterSeries } from '../observability/tallies';
import type { InferResult } from '../core/engine';
import { settleWith, type Settle } from '../core/settle';
import type { RedisConnection } from '../redis/connection';
import { decodePrediction, encodePrediction, MalformedCacheEntryError, SharedLayouts } from './cache-codec';
import { CachedResult, memoryEntry, type MemoryEntry } from './cached-result';
import { PREDICTION_CACHE_REDIS_PREFIX } from './cache-key';

/** What the `x-cache` response header says about a request. */
export type CacheOutcome = 'hit-memory' | 'hit-redis' | 'miss' | 'bypass';

/** A cacheable request's result and where it came from. */
export interface CacheAnswer {
  result: InferResult;
  outcome: CacheOutcome;
}

const answerFromMemory = (settle: Settle<CacheAnswer>, result: InferResult) =>
  settle.resolve({ result, outcome: 'hit-memory' });

export interface CachePolicy {
  /** How long an answer stays in either tier. */
  ttlSeconds: number;
}

/**
 * What the in-process tier holds per entry besides the entry's value and key characters: the two
 * string headers and lru-cache's bookkeeping (its Map entry and the slots of its parallel arrays,
 * TTLs included). Measured at about 180 bytes on Node 20; guards-prediction-cache.test.ts checks
 * that this count is not below what the heap really holds.
 */
export const ENTRY_OVERHEAD_BYTES = 256;

/**
 * V8 lets its old generation grow to about twice what is live before collecting it, and evicted
 * entries wait there. Measured with guards-cache-memory.test.ts's stream, against a cache-off
 * process: counted without this factor, an 8 MiB and a 32 MiB cache added 26 and 62 MiB of RSS;
 * with it, the 32 MiB cache added 18 MiB.
 */
const GC_HEADROOM = 2;

/** What an entry costs the process: its bytes, its key, the overhead above, and the GC's headroom. */
export const entryCost = (valueBytes: number, keyLength: number) =>
  GC_HEADROOM * (valueBytes + keyLength + ENTRY_OVERHEAD_BYTES);

export interface PredictionCacheOptions {
  /** Budget of the in-process tier in bytes (entries as entryCost counts them); 0 turns the tier off. */
  maxMemoryBytes: number;
  redis?: RedisConnection;
  registry?: Registry;
  /** Namespace in a Redis shared with other deployments. */
  redisKeyPrefix?: string;
}

interface Labels {
  model: string;
  version: string;
}

type Tier = 'memory' | 'redis';
type TierSeries = Record<Tier, CounterSeries<'model' | 'version' | 'tier'>>;

/** A version's hit and miss series by tier, resolved once (observability/tallies.ts). */
interface CacheSeries {
  hits: TierSeries;
  misses: TierSeries;
}

/**
 * Two-tier prediction cache: a byte-bounded in-process LRU in front of Redis. A Redis failure or
 * a malformed Redis entry is a miss, never an error. Concurrent identical requests share one
 * computation (singleflight) whether or not a tier holds the answer yet.
 */
export class PredictionCache {
  /**
   * Entries are kept as strings (cached-result.ts), not Buffers: a small Buffer is a slice of Node's
   * shared 8 KiB pool and keeps the whole slab alive, and one with its own ArrayBuffer costs
   * several hundred bytes of objects and malloc'd backing store. A string is one compact heap
   * object, which the garbage collector can move.
   */
  private readonly memory?: LRUCache<string, MemoryEntry>;
  private readonly layouts = new SharedLayouts();
  private readonly inflight = new Map<string, Promise<CacheAnswer>>();
  private readonly pendingWrites = new Set<Promise<void>>();
  private readonly prefix: string;
  private readonly counted?: PerVersion<CacheSeries>;
  private readonly coalesced?: Counter<'model' | 'version'>;
  private readonly malformed?: Counter<'tier'>;
  private readonly redisErrors?: Counter<'operation'>;
  private readonly memoryGauge?: Gauge;

  constructor(private readonly options: PredictionCacheOptions) {
    this.prefix = options.redisKeyPrefix ?? PREDICTION_CACHE_REDIS_PREFIX;
    if (options.maxMemoryBytes > 0)
      this.memory = new LRUCache<string, MemoryEntry>({
        maxSize: options.maxMemoryBytes,
        sizeCalculation: (value, key) => entryCost(value.bytes, key.length),
      });
    const registry = options.registry;
    if (registry) {
      const hits = defineCounterTally(registry, {
        ...METRICS.cacheHits,
        help: 'Prediction cache hits by tier (memory, redis).',
      });
      const misses = defineCounterTally(registry, {
        ...METRICS.cacheMisses,
        help: 'Prediction cache misses by tier (memory, redis); a request missing both counts once per tier it asked.',
      });
      const tiers = (counter: typeof hits, model: string, version: string): TierSeries => ({
        memory: counter.series({ model, version, tier: 'memory' }),
        redis: counter.series({ model, version, tier: 'redis' }),
      });
      this.counted = new PerVersion((model, version) => ({
        hits: tiers(hits, model, version),
        misses: tiers(misses, model, version),
      }));
      this.coalesced = defineCounter(registry, {
        ...METRICS.cacheCoalesced,
        help: 'Requests that waited for an identical in-flight request instead of computing.',
      });
      this.malformed = defineCounter(registry, {
        ...METRICS.cacheMalformedEntries,
        help: 'Cache entries ignored because they were of the wrong type or did not decode.',
      });
      this.redisErrors = defineCounter(registry, {
        ...METRICS.cacheRedisErrors,
        help: 'Redis cache operations that failed or were skipped because Redis was unavailable.',
      });
      this.memoryGauge = defineGauge(registry, {
        ...METRICS.cacheMemoryBytes,
        help: 'Bytes held by the in-process prediction cache tier.',
      });
    }
  }

  get memoryBytes(): number {
    return this.memory?.calculatedSize ?? 0;
  }

  /**
   * Answers from a tier, or runs `compute` once for all identical concurrent callers and stores
   * its result. A failed computation is shared by its waiters and never stored.
   */
  getOrCompute(
    key: string,
    labels: Labels,
    policy: CachePolicy,
    compute: () => Promise<InferResult>,
  ): Promise<CacheAnswer> {
    return new Promise((resolve, reject) => this.answer(key, labels, policy, compute, { resolve, reject }));
  }

  /**
   * getOrCompute with the answer handed to `settle`: a memory-tier hit, most of a warm cache's
   * traffic, then takes no promise and no async frame. Throws only what the key's entry does.
   */
  answer(
    key: string,
    labels: Labels,
    policy: CachePolicy,
    compute: () => Promise<InferResult>,
    settle: Settle<CacheAnswer>,
  ): void {
    const pending = this.inflight.get(key);
    if (pending) {
      this.coalesced?.inc(labels);
      return settleWith(pending, settle);
    }
    const fromMemory = this.getMemory(key, labels);
    // Answer in the check phase, not inside the socket's read callback: the event loop then reads
    // every ready connection before writing, as it does for batched model answers. Answering
    // synchronously halved hit throughput at 64 connections (about 6k vs 13k req/s).
    if (fromMemory) setImmediate(answerFromMemory, settle, fromMemory);
    else settleWith(this.computeOnce(key, labels, policy, compute), settle);
  }

  /** The other tiers, then the computation, shared by identical requests until it settles. */
  private computeOnce(
    key: string,
    labels: Labels,
    policy: CachePolicy,
    compute: () => Promise<InferResult>,
  ): Promise<CacheAnswer> {
    const run = (async () => {
      const fromRedis = await this.getRedis(key, labels, policy.ttlSeconds);
      if (fromRedis) return { result: fromRedis, outcome: 'hit-redis' as const };
      const result = await compute();
      // A reload can swap the version between resolving it and running; never file an answer under another version.
      if (result.modelName === labels.model && result.modelVersion === labels.version)
        this.set(key, result, policy.ttlSeconds);
      return { result, outcome: 'miss' as const };
    })();
    this.inflight.set(key, run);
    const done = () => void this.inflight.delete(key);
    run.then(done, done);
    return run;
  }

  /** A stored answer from either tier without computing: the last link of a fallback chain. */
  async lookup(
    key: string,
    labels: Labels,
    ttlSeconds: number,
  ): Promise<{ result: InferResult; tier: 'memory' | 'redis' } | undefined> {
    const fromMemory = this.getMemory(key, labels);
    if (fromMemory) return { result: fromMemory, tier: 'memory' };
    const fromRedis = await this.getRedis(key, labels, ttlSeconds);
    return fromRedis && { result: fromRedis, tier: 'redis' };
  }

  set(key: string, result: InferResult, ttlSeconds: number): void {
    const encoded = encodePrediction(result);
    const ttlMs = ttlSeconds * 1000;
    this.setMemory(key, result, encoded, ttlMs);
    const redis = this.options.redis;
    if (!redis?.isUp()) return;
    // Not awaited: the response should not wait for the shared tier.
    const write = redis
      .run((c) => c.set(this.prefix + key, encoded, 'PX', ttlMs))
      .then(
        () => undefined,
        () => void this.redisErrors?.inc({ operation: 'set' }),
      );
    this.pendingWrites.add(write);
    void write.finally(() => this.pendingWrites.delete(write));
  }

  /** Waits for Redis writes started so far (tests, shutdown). */
  async flush(): Promise<void> {
    await Promise.all([...this.pendingWrites]);
  }

  private setMemory(key: string, result: InferResult, encoded: Buffer, ttlMs: number): void {
    if (!this.memory) return;
    this.memory.set(key, memoryEntry(result, encoded, this.layouts), { ttl: ttlMs });
    this.memoryGauge?.set(this.memory.calculatedSize);
  }

  private count({ model, version }: Labels, outcome: keyof CacheSeries, tier: Tier): void {
    this.counted?.get(model, version)[outcome][tier].inc();
  }

  private getMemory(key: string, labels: Labels): InferResult | undefined {
    if (!this.memory) return undefined;
    const entry = this.memory.get(key);
    if (entry === undefined) {
      this.count(labels, 'misses', 'memory');
      return undefined;
    }
    this.count(labels, 'hits', 'memory');
    // Only entries of this model and version were filed under its keys (computeOnce, getRedis).
    return new CachedResult(labels.model, labels.version, entry);
  }

  private async getRedis(key: string, labels: Labels, ttlSeconds: number): Promise<InferResult | undefined> {
    const redis = this.options.redis;
    if (!redis) return undefined;
    if (!redis.isUp()) {
      this.redisErrors?.inc({ operation: 'get' });
      return undefined;
    }
    let buf: Buffer | null | typeof WRONG_TYPE;
    try {
      // A key of the wrong type is bad data, not a sick Redis: keep it out of the breaker's count.
      buf = await redis.run((c) =>
        c.getBuffer(this.prefix + key).catch((err: Error) => {
          if (/^WRONGTYPE/.test(err.message)) return WRONG_TYPE;
          throw err;
        }),
      );
    } catch {
      this.redisErrors?.inc({ operation: 'get' });
      return undefined;
    }
    if (buf === WRONG_TYPE) {
      this.malformed?.inc({ tier: 'redis' });
      this.count(labels, 'misses', 'redis');
      return undefined;
    }
    if (!buf) {
      this.count(labels, 'misses', 'redis');
      return undefined;
    }
    let result: InferResult;
    try {
      result = decodePrediction(buf);
    } catch (err) {
      if (!(err instanceof MalformedCacheEntryError)) throw err;
      this.malformed?.inc({ tier: 'redis' });
      this.count(labels, 'misses', 'redis');
      return undefined;
    }
    if (result.modelName !== labels.model || result.modelVersion !== labels.version) {
      this.malformed?.inc({ tier: 'redis' });
      this.count(labels, 'misses', 'redis');
      return undefined;
    }
    this.count(labels, 'hits', 'redis');
    // A full TTL rather than the Redis entry's remainder: a version's answer never changes, so the
    // TTL bounds memory, not staleness, and a second round trip per hit would buy nothing.
    this.setMemory(key, result, buf, ttlSeconds * 1000);
    return result;
  }
}

const WRONG_TYPE = Symbol('wrong-type');
