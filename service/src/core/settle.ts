/**
 * Where an asynchronous outcome goes, as a pair of callbacks rather than a promise. An inference
 * hands one down from the front door through the around hooks to its version's batcher, and the
 * batch's answer settles the request's single promise directly: a promise per layer cost each
 * request five promises, their reactions and microtask turns (docs/benchmarks.md, "Sixth round").
 *
 * Exactly one of the two is called, once. Neither may throw: the caller is often a batch loop
 * answering other requests too.
 */
export interface Settle<T> {
  resolve(value: T): void;
  reject(error: unknown): void;
}

/** Settles `settle` with a promise's outcome: for the rare steps that are promises of their own. */
export function settleWith<T>(pending: Promise<T>, settle: Settle<T>): void {
  pending.then(
    (value) => settle.resolve(value),
    (error: unknown) => settle.reject(error),
  );
}
