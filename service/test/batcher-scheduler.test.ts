import type { Clock } from '../src/batching/clock';
import { BatchScheduler, type Queued, type SchedulerOptions } from '../src/batching/scheduler';
import { ServiceError } from '../src/core/errors';

/** A manual clock: time moves only when the test advances it, and due timers fire in order. */
class FakeClock implements Clock {
  private t = 0;
  private timers = new Map<number, { at: number; fire: () => void }>();
  private nextId = 1;
  now(): number {
    return this.t;
  }
  setTimer(delayMs: number, fire: () => void): unknown {
    const id = this.nextId++;
    this.timers.set(id, { at: this.t + delayMs, fire });
    return id;
  }
  clearTimer(handle: unknown): void {
    this.timers.delete(handle as number);
  }
  get pendingTimers(): number {
    return this.timers.size;
  }
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      const due = [...this.timers.entries()]
        .filter(([, x]) => x.at <= end)
        .sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      this.timers.delete(due[0]);
      this.t = due[1].at;
      due[1].fire();
    }
    this.t = end;
  }
}

interface Harness {
  clock: FakeClock;
  scheduler: BatchScheduler<string>;
  batches: { items: string[]; at: number }[];
  expired: { item: string; error: Error; at: number }[];
  depths: number[];
  overflows: number;
}

function harness(options: Partial<SchedulerOptions> = {}, autoComplete = false): Harness {
  const clock = new FakeClock();
  const h: Harness = {
    clock,
    scheduler: undefined as never,
    batches: [],
    expired: [],
    depths: [],
    overflows: 0,
  };
  h.scheduler = new BatchScheduler<string>(
    {
      maxBatchSize: 8,
      batching: true,
      preferredBatchSizes: [],
      maxQueueDelayMs: 5,
      maxQueueSize: 100,
      maxInFlight: 1,
      label: "model 'm' version 1",
      ...options,
    },
    clock,
    {
      dispatch: (batch: Queued<string>[], now: number) => {
        h.batches.push({ items: batch.map((q) => q.item), at: now });
        if (autoComplete) h.scheduler.complete();
      },
      expire: (q, error) => h.expired.push({ item: q.item, error, at: clock.now() }),
      queueDepth: (d) => h.depths.push(d),
      overflow: () => h.overflows++,
    },
  );
  return h;
}

const FAR = 1e9;

function statusOf(fn: () => void): number | undefined {
  try {
    fn();
  } catch (e) {
    return e instanceof ServiceError ? e.status : -1;
  }
  return undefined;
}

describe('BatchScheduler timing', () => {
  test('a lone request waits max_queue_delay, then leaves alone', () => {
    const h = harness({ maxQueueDelayMs: 5 });
    h.scheduler.enqueue('a', 1, FAR);
    h.clock.advance(4.9);
    expect(h.batches).toEqual([]);
    h.clock.advance(0.1);
    expect(h.batches).toEqual([{ items: ['a'], at: 5 }]);
  });

  test('the delay counts from the oldest request, not the newest', () => {
    const h = harness({ maxQueueDelayMs: 5 });
    h.scheduler.enqueue('a', 1, FAR);
    h.clock.advance(3);
    h.scheduler.enqueue('b', 1, FAR);
    h.clock.advance(2);
    expect(h.batches).toEqual([{ items: ['a', 'b'], at: 5 }]);
  });

  test('a full batch leaves at once without waiting for the delay', () => {
    const h = harness({ maxBatchSize: 4, maxQueueDelayMs: 100 });
    for (const x of ['a', 'b', 'c']) h.scheduler.enqueue(x, 1, FAR);
    expect(h.batches).toEqual([]);
    h.scheduler.enqueue('d', 1, FAR);
    expect(h.batches).toEqual([{ items: ['a', 'b', 'c', 'd'], at: 0 }]);
  });

  test('a zero delay sends each request as soon as a slot is free', () => {
    const h = harness({ maxQueueDelayMs: 0 });
    h.scheduler.enqueue('a', 1, FAR);
    expect(h.batches.map((b) => b.items)).toEqual([['a']]);
  });
});

describe('BatchScheduler batch formation', () => {
  test('multi-row requests are never split: a request that does not fit waits for the next batch', () => {
    const h = harness({ maxBatchSize: 8, maxQueueDelayMs: 100 });
    h.scheduler.enqueue('a', 3, FAR);
    h.scheduler.enqueue('b', 3, FAR);
    expect(h.batches).toEqual([]);
    h.scheduler.enqueue('c', 3, FAR); // 9 rows > 8: the batch of a+b is as full as it can get
    expect(h.batches.map((b) => b.items)).toEqual([['a', 'b']]);
    h.scheduler.complete();
    h.clock.advance(100);
    expect(h.batches.map((b) => b.items)).toEqual([['a', 'b'], ['c']]);
  });

  test('a queue prefix adding up to a preferred size leaves at once, the largest one', () => {
    const h = harness({ maxBatchSize: 16, preferredBatchSizes: [2, 4], maxQueueDelayMs: 100 });
    h.scheduler.enqueue('a', 1, FAR);
    expect(h.batches).toEqual([]);
    h.scheduler.enqueue('b', 1, FAR);
    expect(h.batches.map((b) => b.items)).toEqual([['a', 'b']]);
    h.scheduler.complete();
    // While a batch executes the queue grows past a preferred size; on completion the largest
    // preferred prefix (4 rows) leaves, the rest waits for its own delay.
    h.scheduler.enqueue('c', 1, FAR);
    h.scheduler.enqueue('d', 1, FAR);
    expect(h.batches).toHaveLength(2);
  });

  test('the largest preferred prefix is chosen when several match', () => {
    const h = harness({
      maxBatchSize: 16,
      preferredBatchSizes: [2, 4],
      maxQueueDelayMs: 100,
      maxInFlight: 1,
    });
    h.scheduler.enqueue('x', 1, FAR);
    h.scheduler.enqueue('y', 1, FAR); // preferred 2: leaves, occupies the only slot
    for (const i of ['a', 'b', 'c', 'd', 'e']) h.scheduler.enqueue(i, 1, FAR);
    expect(h.batches.map((b) => b.items)).toEqual([['x', 'y']]);
    h.scheduler.complete();
    expect(h.batches.map((b) => b.items)).toEqual([
      ['x', 'y'],
      ['a', 'b', 'c', 'd'],
    ]);
    h.scheduler.complete();
    h.clock.advance(99);
    expect(h.batches).toHaveLength(2);
    h.clock.advance(1);
    expect(h.batches.map((b) => b.items)[2]).toEqual(['e']);
  });

  test('FIFO order is kept inside and across batches', () => {
    const h = harness({ maxBatchSize: 3, maxQueueDelayMs: 1 }, true);
    const items = ['r0', 'r1', 'r2', 'r3', 'r4', 'r5', 'r6'];
    for (const x of items) h.scheduler.enqueue(x, 1, FAR);
    h.clock.advance(10);
    expect(h.batches.flatMap((b) => b.items)).toEqual(items);
    for (const b of h.batches) expect(b.items.length).toBeLessThanOrEqual(3);
  });

  test('requests queue up while the only slot executes, and leave together when it frees', () => {
    const h = harness({ maxBatchSize: 8, maxQueueDelayMs: 0 });
    h.scheduler.enqueue('a', 1, FAR);
    expect(h.scheduler.executing).toBe(1);
    for (const x of ['b', 'c', 'd']) h.scheduler.enqueue(x, 2, FAR);
    expect(h.batches).toHaveLength(1);
    expect(h.scheduler.depth).toBe(3);
    h.scheduler.complete();
    expect(h.batches.map((b) => b.items)).toEqual([['a'], ['b', 'c', 'd']]);
  });

  test('with batching off every request is its own batch, one at a time', () => {
    const h = harness({ batching: false, maxBatchSize: 0, maxQueueDelayMs: 100 });
    h.scheduler.enqueue('a', 1, FAR);
    h.scheduler.enqueue('b', 1, FAR);
    expect(h.batches.map((b) => b.items)).toEqual([['a']]);
    h.scheduler.complete();
    expect(h.batches.map((b) => b.items)).toEqual([['a'], ['b']]);
  });

  test('max_batch_rows lets many multi-row requests share a batch, whole, up to that many rows', () => {
    const h = harness({ maxBatchSize: 32, maxBatchRows: 128, maxQueueDelayMs: 100 });
    h.scheduler.enqueue('busy', 32, FAR);
    h.clock.advance(100); // 'busy' executes; the rest queue behind it
    for (const x of ['a', 'b', 'c', 'd', 'e']) h.scheduler.enqueue(x, 32, FAR);
    h.scheduler.enqueue('f', 20, FAR);
    h.scheduler.complete();
    // 4 x 32 = 128 rows fill the batch; 'e' would make 160 and waits for the next one.
    expect(h.batches.map((b) => b.items)).toEqual([['busy'], ['a', 'b', 'c', 'd']]);
    h.scheduler.complete();
    h.clock.advance(100);
    expect(h.batches.map((b) => b.items)[2]).toEqual(['e', 'f']);
    // max_batch_size still bounds one request.
    expect(statusOf(() => h.scheduler.enqueue('big', 33, FAR))).toBe(400);
  });

  test('a preferred size above max_batch_size is reached by whole requests', () => {
    const h = harness({
      maxBatchSize: 32,
      maxBatchRows: 256,
      preferredBatchSizes: [64],
      maxQueueDelayMs: 100,
    });
    h.scheduler.enqueue('a', 32, FAR);
    expect(h.batches).toEqual([]);
    h.scheduler.enqueue('b', 32, FAR);
    expect(h.batches.map((b) => b.items)).toEqual([['a', 'b']]);
  });

  test('without max_batch_rows a batch holds at most max_batch_size rows, as in Triton', () => {
    const h = harness({ maxBatchSize: 64, maxQueueDelayMs: 100 });
    for (const x of ['a', 'b', 'c']) h.scheduler.enqueue(x, 32, FAR);
    expect(h.batches.map((b) => b.items)).toEqual([['a', 'b']]);
  });

  test('maxInFlight 2 keeps two batches executing', () => {
    const h = harness({ maxBatchSize: 2, maxQueueDelayMs: 0, maxInFlight: 2 });
    for (const x of ['a', 'b', 'c']) h.scheduler.enqueue(x, 2, FAR);
    expect(h.batches.map((b) => b.items)).toEqual([['a'], ['b']]);
    h.scheduler.complete();
    expect(h.batches.map((b) => b.items)[2]).toEqual(['c']);
  });
});

describe('BatchScheduler limits and deadlines', () => {
  test('a request with more rows than max_batch_size is a 400', () => {
    const h = harness({ maxBatchSize: 4 });
    expect(statusOf(() => h.scheduler.enqueue('a', 5, FAR))).toBe(400);
    expect(h.scheduler.depth).toBe(0);
  });

  test('a full queue answers 503 with Retry-After and keeps what it holds', () => {
    const h = harness({ maxQueueSize: 2, maxQueueDelayMs: 100 });
    h.scheduler.enqueue('a', 1, FAR); // dispatched after the delay; occupies nothing yet
    h.scheduler.enqueue('b', 1, FAR);
    let err: unknown;
    try {
      h.scheduler.enqueue('c', 1, FAR);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ServiceError);
    expect((err as ServiceError).status).toBe(503);
    expect((err as ServiceError).retryAfterSeconds).toBeGreaterThan(0);
    expect((err as ServiceError).message).toMatch(/max_queue_size/);
    expect(h.overflows).toBe(1);
    h.clock.advance(100);
    expect(h.batches.map((b) => b.items)).toEqual([['a', 'b']]);
  });

  test('a request whose deadline passes while queued is expired with 504 and never dispatched', () => {
    const h = harness({ maxQueueDelayMs: 0 });
    h.scheduler.enqueue('busy', 1, FAR); // occupies the only slot
    h.scheduler.enqueue('late', 1, 10);
    h.scheduler.enqueue('ok', 1, FAR);
    h.clock.advance(10);
    expect(h.expired.map((e) => [e.item, (e.error as ServiceError).status, e.at])).toEqual([
      ['late', 504, 10],
    ]);
    h.scheduler.complete();
    expect(h.batches.map((b) => b.items)).toEqual([['busy'], ['ok']]);
  });

  test('an expired request is answered at its deadline even when the batch delay is longer', () => {
    const h = harness({ maxQueueDelayMs: 50 });
    h.scheduler.enqueue('a', 1, 20);
    h.clock.advance(20);
    expect(h.expired.map((e) => e.item)).toEqual(['a']);
    h.clock.advance(100);
    expect(h.batches).toEqual([]);
    expect(h.clock.pendingTimers).toBe(0);
  });

  test('a deadline already past at enqueue is a 504 at once', () => {
    const h = harness();
    h.clock.advance(5);
    expect(statusOf(() => h.scheduler.enqueue('a', 1, 5))).toBe(504);
  });

  test('queue depth is reported as it changes', () => {
    const h = harness({ maxQueueDelayMs: 10 });
    h.scheduler.enqueue('a', 1, FAR);
    h.scheduler.enqueue('b', 1, FAR);
    h.clock.advance(10);
    expect(h.depths[0]).toBe(1);
    expect(h.depths).toContain(2);
    expect(h.depths[h.depths.length - 1]).toBe(0);
  });
});

describe('BatchScheduler drain', () => {
  test('drain sends queued work without waiting for the delay, refuses new work, resolves when idle', async () => {
    const h = harness({ maxQueueDelayMs: 1000 });
    h.scheduler.enqueue('a', 1, FAR);
    h.scheduler.enqueue('b', 1, FAR);
    let drained = false;
    const done = h.scheduler.drain().then(() => (drained = true));
    expect(h.batches.map((b) => b.items)).toEqual([['a', 'b']]);
    expect(statusOf(() => h.scheduler.enqueue('c', 1, FAR))).toBe(503);
    await Promise.resolve();
    expect(drained).toBe(false);
    h.scheduler.complete();
    await done;
    expect(drained).toBe(true);
  });

  test('drain of an idle scheduler resolves at once', async () => {
    await expect(harness().scheduler.drain()).resolves.toBeUndefined();
  });
});
