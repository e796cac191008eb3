import type { ServerResponse } from 'node:http';

/**
 * An inference's response headers, gathered while the request runs and written in one
 * `writeHead(status, [name, value, ...])`. Node validates each `setHeader` call and keeps a headers
 * object; a response without them takes writeHead's fast path (measured in docs/benchmarks.md).
 * Names are lower-case (contract/src/names/http.ts); setting one again replaces its value in place,
 * as `setHeader` does, so the order on the wire is the order of first setting.
 */
export class PendingHeaders {
  private readonly pairs: string[] = [];

  set(name: string, value: string): void {
    const list = this.pairs;
    for (let i = 0; i < list.length; i += 2) {
      if (list[i] === name) {
        list[i + 1] = value;
        return;
      }
    }
    list.push(name, value);
  }

  get(name: string): string | undefined {
    const list = this.pairs;
    for (let i = 0; i < list.length; i += 2) if (list[i] === name) return list[i + 1];
    return undefined;
  }

  /** The gathered headers as writeHead's array form takes them (the list itself, not a copy). */
  list(): string[] {
    return this.pairs;
  }

  /** Hands the gathered headers to `res`, for the paths that write through `setHeader` (errors). */
  applyTo(res: ServerResponse): void {
    if (res.headersSent) return;
    const list = this.pairs;
    for (let i = 0; i < list.length; i += 2) res.setHeader(list[i], list[i + 1]);
  }
}
