import type { RedisConnection } from '../redis/connection';
import type { StoredValue } from './point-in-time';

/**
 * The online store: one Redis string per entity value, `<prefix><model>:<entity feature>:<key>` =
 * `<value>|<event time ms>`. A number's shortest decimal form reads back as the same double, so
 * what materialisation computed is exactly what serving reads.
 */
export const STORE_PREFIX = 'features:';

export function encodeStored(v: StoredValue): string {
  // String(-0) is "0": keep the sign so the value stays bit for bit what materialisation computed.
  return `${Object.is(v.value, -0) ? '-0' : v.value}|${v.eventTime}`;
}

export function decodeStored(s: string | null): StoredValue | undefined {
  if (s === null) return undefined;
  const bar = s.indexOf('|');
  const value = Number(s.slice(0, bar));
  const eventTime = Number(s.slice(bar + 1));
  return bar > 0 && Number.isFinite(value) && Number.isFinite(eventTime) ? { value, eventTime } : undefined;
}

export class LookupTimeoutError extends Error {
  constructor(ms: number) {
    super(`feature lookup took longer than ${ms} ms`);
    this.name = 'LookupTimeoutError';
  }
}

export class OnlineStore {
  constructor(
    private readonly redis: RedisConnection,
    private readonly prefix = STORE_PREFIX,
  ) {}

  /** Every key in one MGET (one round trip), bounded by `timeoutMs`; rejects when Redis is down or slow. */
  async lookup(keys: readonly string[], timeoutMs: number): Promise<(StoredValue | undefined)[]> {
    if (keys.length === 0) return [];
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new LookupTimeoutError(timeoutMs)), timeoutMs);
    });
    try {
      const values = await Promise.race([
        this.redis.run((c) => c.mget(keys.map((k) => this.prefix + k))),
        timeout,
      ]);
      return values.map(decodeStored);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Writes entity values in pipelined batches. Plain SETs of absolute values: re-running with the
   * same events writes the same bytes, so materialisation is idempotent.
   */
  async write(
    entries: ReadonlyMap<string, StoredValue>,
    options: { batchSize?: number; onProgress?: (done: number, total: number) => void } = {},
  ): Promise<void> {
    const all = [...entries];
    const size = options.batchSize ?? 1000;
    for (let i = 0; i < all.length; i += size) {
      const batch = all.slice(i, i + size);
      await this.redis.run(async (c) => {
        const p = c.pipeline();
        for (const [key, v] of batch) p.set(this.prefix + key, encodeStored(v));
        const results = await p.exec();
        const failed = results?.find(([err]) => err);
        if (failed) throw failed[0];
      });
      options.onProgress?.(Math.min(i + size, all.length), all.length);
    }
  }
}
