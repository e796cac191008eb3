import { CircuitBreaker, type BreakerState } from '../src/guards/circuit-breaker';

/** A breaker on a clock the test moves, recording its changes of state. */
function breakerAt(settings: Partial<ConstructorParameters<typeof CircuitBreaker>[0]> = {}) {
  const clock = { ms: 1_000_000 };
  const changes: BreakerState[] = [];
  const breaker = new CircuitBreaker(
    {
      errorThresholdPercentage: 50,
      volumeThreshold: 4,
      resetTimeoutMs: 60,
      rollingCountTimeoutMs: 1000,
      ...settings,
    },
    (state) => changes.push(state),
    () => clock.ms,
  );
  return { breaker, clock, changes };
}

/** Admits a call and reports its outcome; false when the breaker refused it. */
function call(breaker: CircuitBreaker, ok: boolean): boolean {
  if (!breaker.tryPass()) return false;
  if (ok) breaker.succeeded();
  else breaker.failed();
  return true;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('CircuitBreaker', () => {
  it('stays closed below the volume threshold, then opens when failures pass the threshold', () => {
    const { breaker, changes } = breakerAt();
    for (let i = 0; i < 3; i++) expect(call(breaker, false)).toBe(true);
    expect(breaker.state).toBe('closed');
    expect(call(breaker, false)).toBe(true);
    expect(breaker.state).toBe('open');
    expect(changes).toEqual(['open']);
    expect(call(breaker, true)).toBe(false);
    breaker.shutdown();
  });

  it('opens only when failures are strictly more than the threshold share of the window', () => {
    const { breaker } = breakerAt();
    for (let i = 0; i < 3; i++) call(breaker, true);
    for (let i = 0; i < 3; i++) call(breaker, false);
    // 3 of 6: exactly 50%.
    expect(breaker.state).toBe('closed');
    call(breaker, false);
    expect(breaker.state).toBe('open');
    breaker.shutdown();
  });

  it('counts refused calls in the window, as opossum did', async () => {
    const { breaker } = breakerAt();
    for (let i = 0; i < 4; i++) call(breaker, false);
    for (let i = 0; i < 6; i++) expect(breaker.tryPass()).toBe(false);
    await sleep(90);
    expect(call(breaker, true)).toBe(true);
    expect(breaker.state).toBe('closed');
    // 5 failures of 12 calls: under 50% only because the six refused calls count.
    call(breaker, false);
    expect(breaker.state).toBe('closed');
    breaker.shutdown();
  });

  it('forgets calls that left the rolling window', () => {
    const { breaker, clock } = breakerAt();
    for (let i = 0; i < 3; i++) call(breaker, false);
    clock.ms += 1000; // a whole window later
    call(breaker, false);
    expect(breaker.state).toBe('closed');
    for (let i = 0; i < 3; i++) call(breaker, false);
    expect(breaker.state).toBe('open');
    breaker.shutdown();
  });

  it('keeps the calls of the slices still in the window', () => {
    const { breaker, clock } = breakerAt();
    for (let i = 0; i < 3; i++) call(breaker, false);
    clock.ms += 900; // nine of ten slices later: the first slice still counts
    call(breaker, false);
    expect(breaker.state).toBe('open');
    breaker.shutdown();
  });

  it('turns half-open after the reset timeout, lets one probe through and closes on its success', async () => {
    const { breaker, changes } = breakerAt();
    for (let i = 0; i < 4; i++) call(breaker, false);
    expect(breaker.msUntilProbe()).toBe(60);
    await sleep(90);
    expect(breaker.state).toBe('half-open');
    expect(breaker.tryPass()).toBe(true);
    // The probe is out: others are refused until it answers.
    expect(breaker.tryPass()).toBe(false);
    breaker.succeeded();
    expect(breaker.state).toBe('closed');
    expect(changes).toEqual(['open', 'half-open', 'closed']);
  });

  it('opens again when the probe fails', async () => {
    const { breaker, changes } = breakerAt();
    for (let i = 0; i < 4; i++) call(breaker, false);
    await sleep(90);
    expect(call(breaker, false)).toBe(true);
    expect(breaker.state).toBe('open');
    expect(changes).toEqual(['open', 'half-open', 'open']);
    breaker.shutdown();
  });

  it('keeps its counts when it closes: the next failure over the threshold opens it again', async () => {
    const { breaker } = breakerAt();
    for (let i = 0; i < 4; i++) call(breaker, false);
    await sleep(90);
    call(breaker, true);
    expect(breaker.state).toBe('closed');
    call(breaker, false);
    expect(breaker.state).toBe('open');
    breaker.shutdown();
  });
});
