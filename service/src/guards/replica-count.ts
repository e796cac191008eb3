import { randomUUID } from 'node:crypto';
import type { RedisConnection } from '../redis/connection';

/**
 * How many replicas share the global rate-limit budget, so that each one knows its share when
 * Redis goes away. Every replica refreshes its own member of a sorted set scored by time; members
 * not refreshed within `staleMs` are dropped. While Redis is down the last known count stands:
 * the moment the shared count is lost is the moment the share is needed.
 */
export class ReplicaCount {
  private known: number;
  private timer: NodeJS.Timeout | undefined;
  private readonly id = randomUUID();

  constructor(
    private readonly redis: RedisConnection,
    private readonly options: { key?: string; intervalMs?: number; staleMs?: number; initial?: number } = {},
  ) {
    this.known = Math.max(1, options.initial ?? 1);
  }

  get value(): number {
    return this.known;
  }

  start(): void {
    if (this.timer) return;
    void this.refresh();
    this.timer = setInterval(() => void this.refresh(), this.options.intervalMs ?? 2000);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (this.redis.isUp()) await this.redis.run((c) => c.zrem(this.key, this.id)).catch(() => undefined);
  }

  async refresh(): Promise<number> {
    if (!this.redis.isUp()) return this.known;
    const now = Date.now();
    const stale = now - (this.options.staleMs ?? 3 * (this.options.intervalMs ?? 2000));
    try {
      const replies = await this.redis.run((c) =>
        c
          .multi()
          .zadd(this.key, now, this.id)
          .zremrangebyscore(this.key, '-inf', stale)
          .zcard(this.key)
          .exec(),
      );
      const count = Number(replies?.[2]?.[1]);
      if (Number.isSafeInteger(count) && count >= 1) this.known = count;
    } catch {
      // Keep the last known count; the connection's own breaker and log report the outage.
    }
    return this.known;
  }

  private get key(): string {
    return this.options.key ?? 'mlp:replicas';
  }
}
