/**
 * A synchronous fixed-window request counter per identity: `points` requests per window of
 * `durationMs`, the window starting at an identity's first request. It is the in-process store of
 * the rate limiter (no Redis, or Redis unreachable). rate-limiter-flexible's memory store keeps the
 * same count but answers through a promise, which turned every admitted request asynchronous before
 * its body was read; this answers in the same tick.
 */
export interface WindowDecision {
  allowed: boolean;
  remaining: number;
  /** Until this identity's window ends and its budget is whole again. */
  msBeforeNext: number;
}

interface Window {
  used: number;
  endsAt: number;
}

/** Past this many identities, windows that have ended are dropped before a new one is added. */
const SWEEP_AT = 10_000;

export class FixedWindowCounter {
  private readonly windows = new Map<string, Window>();

  constructor(
    readonly points: number,
    private readonly durationMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  get identities(): number {
    return this.windows.size;
  }

  consume(identity: string): WindowDecision {
    const now = this.now();
    let w = this.windows.get(identity);
    if (!w || now >= w.endsAt) {
      if (!w && this.windows.size >= SWEEP_AT) this.sweep(now);
      w = { used: 0, endsAt: now + this.durationMs };
      this.windows.set(identity, w);
    }
    // Rejected requests count too, as in rate-limiter-flexible: hammering does not refill sooner.
    w.used++;
    return {
      allowed: w.used <= this.points,
      remaining: Math.max(0, this.points - w.used),
      msBeforeNext: w.endsAt - now,
    };
  }

  private sweep(now: number): void {
    for (const [identity, w] of this.windows) if (now >= w.endsAt) this.windows.delete(identity);
  }
}
