import { UnknownValueError as PolicyUnknownValueError } from '@pulumi/policy';

/**
 * During `pulumi preview`, inputs that depend on other resources' outputs are unknown. @pulumi/policy
 * wraps props in a proxy that throws UnknownValueError when such a value is read. Presence checks
 * ("is there an auth token?") must pass for an unknown-but-set value, so they read through `peek`.
 * Value checks ("is the threshold below the SLA?") let the error propagate: the engine then reports
 * an advisory "can't run during preview" instead of a false verdict.
 */
export const UNKNOWN: unique symbol = Symbol('unknown during preview');
export type Maybe<T> = T | typeof UNKNOWN;

const UnknownValueError = PolicyUnknownValueError as unknown as new (...args: unknown[]) => Error;

export function isUnknownValueError(e: unknown): boolean {
  return e instanceof UnknownValueError;
}

/** Reads a value, answering UNKNOWN instead of throwing when preview cannot know it. */
export function peek<T>(read: () => T): Maybe<T> {
  try {
    return read();
  } catch (e) {
    if (isUnknownValueError(e)) return UNKNOWN;
    throw e;
  }
}

/** True when the key is set, whether or not its value is known yet. */
export function isSet(obj: unknown, key: string): boolean {
  if (obj === null || typeof obj !== 'object' || !(key in obj)) return false;
  const value = peek(() => (obj as Record<string, unknown>)[key]);
  return value === UNKNOWN || (value !== undefined && value !== null && value !== '');
}
