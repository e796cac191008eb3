/**
 * Time as the scheduler sees it, injected so that scheduling can be tested with a fake clock.
 * Times are milliseconds on the `performance.now()` clock, the same clock InferRequest.deadline uses.
 */
export interface Clock {
  now(): number;
  setTimer(delayMs: number, fire: () => void): unknown;
  clearTimer(handle: unknown): void;
}

export const systemClock: Clock = {
  now: () => performance.now(),
  setTimer: (delayMs, fire) => setTimeout(fire, Math.max(0, delayMs)),
  clearTimer: (handle) => clearTimeout(handle as NodeJS.Timeout),
};
