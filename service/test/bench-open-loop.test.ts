import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { openLoop, type OpenLoopOptions } from '../bench/open-loop';

interface ServerOptions {
  delayMs?: number;
  status?: number;
  /** Answer without Content-Length, as node:http does when headers are flushed first. */
  chunked?: boolean;
}

/**
 * Runs `fn` against a loopback server that answers every request after `delayMs`, noting which
 * socket each came on, and closes it afterwards.
 */
async function withServer<T>(
  { delayMs = 0, status = 200, chunked = false }: ServerOptions,
  fn: (origin: string, ports: Set<number>) => Promise<T>,
): Promise<T> {
  const ports = new Set<number>();
  const server = http.createServer((req, res) => {
    ports.add(req.socket.remotePort!);
    req.resume();
    const headers = chunked ? {} : { 'content-length': '2' };
    req.on('end', () => setTimeout(() => res.writeHead(status, headers).end('{}'), delayMs));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    return await fn(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, ports);
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
}

const load = (origin: string, options: Partial<OpenLoopOptions>) =>
  openLoop({ origin, path: '/', body: '{}', connections: 1, rate: 10, seconds: 0.2, ...options });

describe('openLoop (the bench load generator)', () => {
  it('sends rate x seconds requests, spread over every connection', async () => {
    await withServer({}, async (origin, ports) => {
      const r = await load(origin, { connections: 4, rate: 200, seconds: 0.5 });
      expect(r.offered).toBe(100);
      expect(r.completed).toBe(100);
      expect(r.failures).toBe(0);
      expect(ports.size).toBe(4);
      // Arrivals are spread over the run, not sent at once.
      expect(r.elapsedS).toBeGreaterThanOrEqual(0.49);
    });
  });

  it('counts the wait behind a slow answer in the latency instead of sending less', async () => {
    // One connection, 50 ms per answer, 100 arrivals/s: arrival i is answered at (i + 1) x 50 ms,
    // 50 + 40i ms after it arrived. A closed loop would report 50 ms for all of them.
    await withServer({ delayMs: 50 }, async (origin) => {
      const r = await load(origin, { rate: 100, seconds: 0.3 });
      expect(r.completed).toBe(30);
      expect(Math.min(...r.latenciesMs)).toBeGreaterThanOrEqual(45);
      expect(Math.max(...r.latenciesMs)).toBeGreaterThan(1000);
      expect(r.elapsedS).toBeGreaterThan(1.4);
    });
  });

  it("keeps the generator's send lag apart from the latency from hand-off", async () => {
    await withServer({}, async (origin) => {
      // The generator's own thread stalls for 150 ms a little after the start: the arrivals due
      // meanwhile go out late, all at once.
      setTimeout(() => {
        const until = performance.now() + 150;
        while (performance.now() < until);
      }, 50);
      const r = await load(origin, { connections: 4, rate: 200, seconds: 0.5 });
      expect(r.sendLagMs).toHaveLength(100);
      expect(Math.min(...r.sendLagMs)).toBeGreaterThanOrEqual(0);
      expect(Math.max(...r.sendLagMs)).toBeGreaterThan(100);
      // The lag counts from the due time only: every answer is later from there than from its hand-off.
      expect(r.fromDueMs).toHaveLength(100);
      r.fromDueMs.forEach((fromDue, i) => expect(fromDue).toBeGreaterThanOrEqual(r.latenciesMs[i]));
      expect(Math.max(...r.fromDueMs)).toBeGreaterThan(100);
      // The arrivals the stall made late are answered promptly from their hand-off. (The server
      // shares the stalled thread, so one already in flight when the stall began waits it out,
      // and that wait is rightly its latency.)
      const late = r.latenciesMs.filter((ms, i) => r.fromDueMs[i] - ms > 100);
      expect(late.length).toBeGreaterThan(0);
      expect(Math.max(...late)).toBeLessThan(100);
    });
  });

  it('counts answers other than 200 as failures', async () => {
    await withServer({ status: 503 }, async (origin) => {
      expect((await load(origin, { connections: 2, rate: 100 })).failures).toBe(20);
    });
  });

  it('ends the run with a clear error on an answer it cannot frame', async () => {
    await withServer({ chunked: true }, async (origin) => {
      await expect(load(origin, {})).rejects.toThrow(/needs Content-Length answers/);
    });
  });

  it('counts requests on a connection the server refuses as failures', async () => {
    const origin = await withServer({}, async (o) => o);
    const r = await load(origin, { connections: 2, rate: 50 });
    expect(r.failures).toBe(10);
    expect(r.completed).toBe(0);
  });

  it('refuses anything but loopback and a rate it cannot schedule', async () => {
    await expect(load('http://example.com:80', { rate: 1 })).rejects.toThrow(/loopback only/);
    await expect(load('http://127.0.0.1:1', { rate: 0 })).rejects.toThrow(/positive rate/);
  });
});
