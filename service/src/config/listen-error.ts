import type { EnvName } from '@ml-platform/contract/names';

/**
 * A front door could not take its port (in use, not permitted): named by the variable that chose
 * it, so that the process exits with one line saying what to change rather than a stack.
 */
export class ListenError extends Error {
  constructor(variable: EnvName, value: number | string, host: string, cause: Error) {
    super(`${variable}=${value}: cannot listen on ${host}: ${cause.message}`, { cause });
    this.name = 'ListenError';
  }
}

/** `listening`, its rejection turned into a ListenError naming `variable`. */
export function listenFor<T>(
  variable: EnvName,
  value: number | string,
  host: string,
  listening: Promise<T>,
): Promise<T> {
  return listening.catch((err: Error) => {
    throw new ListenError(variable, value, host, err);
  });
}
