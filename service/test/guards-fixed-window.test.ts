import { FixedWindowCounter } from '../src/guards/fixed-window';

/** A clock the test moves by hand. */
function fakeClock(start = 1_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

describe('FixedWindowCounter', () => {
  it('admits `points` requests per window, then rejects until the window ends', () => {
    const clock = fakeClock();
    const counter = new FixedWindowCounter(3, 1000, clock.now);
    expect([1, 2, 3].map(() => counter.consume('a').allowed)).toEqual([true, true, true]);
    const rejected = counter.consume('a');
    expect(rejected).toEqual({ allowed: false, remaining: 0, msBeforeNext: 1000 });
    clock.advance(999);
    expect(counter.consume('a')).toEqual({ allowed: false, remaining: 0, msBeforeNext: 1 });
    clock.advance(1);
    expect(counter.consume('a')).toEqual({ allowed: true, remaining: 2, msBeforeNext: 1000 });
  });

  it('reports what is left and when it refills, starting the window at the first request', () => {
    const clock = fakeClock();
    const counter = new FixedWindowCounter(10, 2000, clock.now);
    expect(counter.consume('a')).toEqual({ allowed: true, remaining: 9, msBeforeNext: 2000 });
    clock.advance(500);
    expect(counter.consume('a')).toEqual({ allowed: true, remaining: 8, msBeforeNext: 1500 });
  });

  it('keeps one budget per identity', () => {
    const counter = new FixedWindowCounter(1, 1000, fakeClock().now);
    expect(counter.consume('a').allowed).toBe(true);
    expect(counter.consume('a').allowed).toBe(false);
    expect(counter.consume('b').allowed).toBe(true);
  });

  it('drops ended windows once it holds many identities, and keeps live ones', () => {
    const clock = fakeClock();
    const counter = new FixedWindowCounter(1, 1000, clock.now);
    counter.consume('live');
    clock.advance(600);
    for (let i = 0; i < 9_999; i++) counter.consume(`old-${i}`);
    expect(counter.identities).toBe(10_000);
    clock.advance(500); // 'live' has ended (1100 ms), the others have 100 ms left
    counter.consume('new');
    expect(counter.identities).toBe(10_000);
    expect(counter.consume('old-1').allowed).toBe(false);
  });
});
