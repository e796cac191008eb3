import type { ConnectionOptions } from 'node:tls';
import CircuitBreaker from 'opossum';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Gauge, Registry } from 'prom-client';
import { METRICS } from '@ml-platform/contract/names';
import { defineGauge } from '../observability/metrics';

/**
 * The one Redis connection the guards share. Redis is an optimisation here, never a dependency
 * of readiness: every caller must cope with `RedisUnavailableError` by degrading (memory cache,
 * local rate limits). Commands fail fast instead of queueing while disconnected, a command that
 * hangs times out, and a breaker stops paying that timeout on every request while Redis is sick.
 */
export interface RedisConnectionOptions {
  /** `redis://[:password@]host:port[/db]` or `rediss://` for TLS (ElastiCache in-transit encryption). */
  url: string;
  logger: Logger;
  registry?: Registry;
  /**
   * Extra TLS options for `rediss://` (a private CA, for instance). ElastiCache's certificates are
   * publicly trusted, and NODE_EXTRA_CA_CERTS covers a private CA without code; tests pass `ca`.
   */
  tls?: ConnectionOptions;
  connectTimeoutMs?: number;
  commandTimeoutMs?: number;
  /** Cap of the exponential reconnect backoff. */
  maxReconnectDelayMs?: number;
  /** The up/down log lines, saying what depends on this connection; the guards' by default. */
  messages?: { up: string; down: string };
  breaker?: {
    errorThresholdPercentage?: number;
    volumeThreshold?: number;
    resetTimeoutMs?: number;
    rollingCountTimeoutMs?: number;
  };
}

const GUARD_MESSAGES = {
  up: 'redis up: shared cache and global rate limits active',
  down: 'redis down: serving degraded with the in-process cache and per-replica rate limits',
};

export class RedisUnavailableError extends Error {
  constructor(reason: string) {
    super(`redis unavailable: ${reason}`);
    this.name = 'RedisUnavailableError';
  }
}

type RedisOp<T> = (client: Redis) => Promise<T>;

/** Capped exponential backoff with jitter so replicas do not reconnect in lockstep. */
export function reconnectDelayMs(attempt: number, capMs: number, random: () => number = Math.random): number {
  const base = Math.min(capMs, 50 * 2 ** Math.min(attempt, 16));
  return Math.round(base / 2 + (random() * base) / 2);
}

/** The URL without its password, for logs. */
export function redactRedisUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    if (u.username && u.username !== 'default') u.username = '***';
    return u.toString();
  } catch {
    return '<unparseable redis url>';
  }
}

export class RedisConnection {
  readonly client: Redis;
  private readonly breaker: CircuitBreaker<[RedisOp<unknown>], unknown>;
  private readonly upGauge?: Gauge;
  private up = false;
  private closed = false;

  constructor(private readonly options: RedisConnectionOptions) {
    const maxDelay = options.maxReconnectDelayMs ?? 2000;
    this.client = new Redis(options.url, {
      connectTimeout: options.connectTimeoutMs ?? 1000,
      commandTimeout: options.commandTimeoutMs ?? 250,
      // Queued commands would answer long after the request that wanted them is gone.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      autoResendUnfulfilledCommands: false,
      // Commands issued in the same tick (64 connections' rate-limit checks) share one write.
      enableAutoPipelining: true,
      retryStrategy: (times) => (this.closed ? null : reconnectDelayMs(times, maxDelay)),
      connectionName: 'ml-platform-service',
      ...(options.tls && options.url.startsWith('rediss://') ? { tls: options.tls } : {}),
    });
    const b = options.breaker ?? {};
    this.breaker = new CircuitBreaker((op: RedisOp<unknown>) => op(this.client), {
      timeout: false, // ioredis' commandTimeout already bounds each command
      errorThresholdPercentage: b.errorThresholdPercentage ?? 50,
      volumeThreshold: b.volumeThreshold ?? 5,
      resetTimeout: b.resetTimeoutMs ?? 1000,
      rollingCountTimeout: b.rollingCountTimeoutMs ?? 5000,
      name: 'redis',
    });
    if (options.registry) {
      this.upGauge = defineGauge(options.registry, {
        ...METRICS.redisUp,
        help: '1 while the shared Redis is connected and its breaker is closed; 0 while the service runs degraded on local state.',
        // Across cluster workers: up only if every worker is.
        aggregator: 'min',
      });
      this.upGauge.set(0);
    }
    // ioredis re-emits socket errors; without a listener they would be "unhandled" noise. The
    // transition log below is the one line an operator needs.
    this.client.on('error', () => undefined);
    this.client.on('ready', () => this.refresh());
    this.client.on('close', () => this.refresh());
    this.client.on('end', () => this.refresh());
    this.breaker.on('open', () => this.refresh());
    this.breaker.on('halfOpen', () => this.refresh());
    this.breaker.on('close', () => this.refresh());
  }

  /** True when a command is worth attempting: connected and the breaker is not open. */
  isUp(): boolean {
    return !this.closed && this.client.status === 'ready' && !this.breaker.opened;
  }

  /** Runs `op` through the breaker; rejects with RedisUnavailableError without touching Redis when down. */
  async run<T>(op: RedisOp<T>): Promise<T> {
    if (this.closed) throw new RedisUnavailableError('connection closed');
    if (this.client.status !== 'ready') throw new RedisUnavailableError(`connection ${this.client.status}`);
    try {
      return (await this.breaker.fire(op as RedisOp<unknown>)) as T;
    } catch (err) {
      if (this.breaker.opened) throw new RedisUnavailableError('breaker open');
      throw err;
    }
  }

  /** Resolves once connected, or false after `timeoutMs`; start-up uses it to log the initial state. */
  async waitUntilReady(timeoutMs: number): Promise<boolean> {
    if (this.client.status === 'ready') return true;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.client.off('ready', onReady);
        resolve(false);
      }, timeoutMs);
      const onReady = () => {
        clearTimeout(timer);
        resolve(true);
      };
      this.client.once('ready', onReady);
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.breaker.shutdown();
    this.refresh();
    const socket = this.client.stream;
    this.client.disconnect(false);
    // Closed between reconnect attempts (Redis down), ioredis still holds the socket that already
    // closed: disconnect() arms a ref'd `disconnectTimeout` (2 s) timer to destroy it, cleared only by
    // that socket's 'close' event, which has already fired (ioredis#1247). Left alone, it keeps a
    // finished process (a jest worker, a script) alive for 2 s after close().
    if (socket?.closed) socket.emit('close', false);
  }

  private refresh(): void {
    const up = this.isUp();
    if (up === this.up) return;
    this.up = up;
    this.upGauge?.set(up ? 1 : 0);
    const target = redactRedisUrl(this.options.url);
    const messages = this.options.messages ?? GUARD_MESSAGES;
    if (up) this.options.logger.info({ redis: target }, messages.up);
    else if (!this.closed)
      this.options.logger.warn(
        { redis: target, status: this.client.status, breaker: this.breaker.opened ? 'open' : 'closed' },
        messages.down,
      );
  }
}
