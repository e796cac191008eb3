/**
 * The open loops' arrival schedule (open-loop.ts, grpc-open-loop.ts): arrival i is due at
 * `t0 + i / rate`. The generator wakes on a 1 ms timer and hands every arrival due since its last
 * wake to a connection, so each one goes out a little after its due time, and later still when the
 * generator's own thread was descheduled or busy reading answers. That lag is the generator's
 * timing error. It is kept per arrival, so that a run can report both latencies: from the hand-off
 * (what the service and the connection's queue took) and from the due time (that plus the lag).
 */
export class Arrivals {
  /** When each arrival was handed to its connection, by arrival index. */
  private readonly handedAt: Float64Array;
  private readonly t0 = performance.now();
  private issued = 0;
  /** Hand-off minus due time, per arrival in index order. */
  readonly sendLagMs: number[] = [];

  constructor(
    private readonly rate: number,
    readonly total: number,
  ) {
    this.handedAt = new Float64Array(total);
  }

  get started(): number {
    return this.t0;
  }

  get offered(): number {
    return this.issued;
  }

  /** Hands every arrival due by now to `send`, by index; true once all have been handed. */
  handDue(send: (arrival: number) => void): boolean {
    const now = performance.now();
    const due = Math.min(this.total, Math.floor(((now - this.t0) / 1000) * this.rate) + 1);
    for (; this.issued < due; this.issued++) {
      this.handedAt[this.issued] = now;
      this.sendLagMs.push(now - this.dueAt(this.issued));
      send(this.issued);
    }
    return this.issued >= this.total;
  }

  /** Latency of an arrival answered now: from its hand-off, and from its due time. */
  answered(arrival: number): { fromHandOff: number; fromDue: number } {
    const now = performance.now();
    return { fromHandOff: now - this.handedAt[arrival], fromDue: now - this.dueAt(arrival) };
  }

  private dueAt(arrival: number): number {
    return this.t0 + (arrival * 1000) / this.rate;
  }
}
