import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { openLoop } from '../bench/open-loop';

/** A loopback server that answers every request after `delayMs`, noting which socket it came on. */
async function delayedServer(delayMs: number, status = 200, chunked = false) {
  const ports = new Set<number>();
  const server = http.createServer((req, res) => {
    ports.add(req.socket.remotePort!);
    req.resume();
    const headers = chunked ? {} : { 'content-length': '2' };
    req.on('end', () => setTimeout(() => res.writeHead(status, headers).end('{}'), delayMs));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { origin, ports, close: () => new Promise((resolve) => server.close(resolve)) };
}

describe('openLoop (the bench load generator)', () => {
  it('sends rate x seconds requests, spread over every connection', async () => {
    const server = await delayedServer(0);
    try {
      const r = await openLoop({
        origin: server.origin,
        path: '/',
        body: '{}',
        connections: 4,
        rate: 200,
        seconds: 0.5,
      });
      expect(r.offered).toBe(100);
      expect(r.completed).toBe(100);
      expect(r.failures).toBe(0);
      expect(server.ports.size).toBe(4);
      // Arrivals are spread over the run, not sent at once.
      expect(r.elapsedS).toBeGreaterThanOrEqual(0.49);
    } finally {
      await server.close();
    }
  });

  it('counts the wait behind a slow answer in the latency instead of sending less', async () => {
    // One connection, 50 ms per answer, 100 arrivals/s: arrival i is answered at (i + 1) x 50 ms,
    // 50 + 40i ms after it arrived. A closed loop would report 50 ms for all of them.
    const server = await delayedServer(50);
    try {
      const r = await openLoop({
        origin: server.origin,
        path: '/',
        body: '{}',
        connections: 1,
        rate: 100,
        seconds: 0.3,
      });
      expect(r.completed).toBe(30);
      expect(Math.min(...r.latenciesMs)).toBeGreaterThanOrEqual(45);
      expect(Math.max(...r.latenciesMs)).toBeGreaterThan(1000);
      expect(r.elapsedS).toBeGreaterThan(1.4);
    } finally {
      await server.close();
    }
  });

  it('counts answers other than 200 as failures', async () => {
    const server = await delayedServer(0, 503);
    try {
      const r = await openLoop({
        origin: server.origin,
        path: '/',
        body: '{}',
        connections: 2,
        rate: 100,
        seconds: 0.2,
      });
      expect(r.failures).toBe(20);
    } finally {
      await server.close();
    }
  });

  it('ends the run with a clear error on an answer it cannot frame', async () => {
    const server = await delayedServer(0, 200, true);
    try {
      await expect(
        openLoop({ origin: server.origin, path: '/', body: '{}', connections: 1, rate: 10, seconds: 0.2 }),
      ).rejects.toThrow(/needs Content-Length answers/);
    } finally {
      await server.close();
    }
  });

  it('counts requests on a connection the server refuses as failures', async () => {
    const server = await delayedServer(0);
    await server.close();
    const r = await openLoop({
      origin: server.origin,
      path: '/',
      body: '{}',
      connections: 2,
      rate: 50,
      seconds: 0.2,
    });
    expect(r.failures).toBe(10);
    expect(r.completed).toBe(0);
  });

  it('refuses anything but loopback and a rate it cannot schedule', async () => {
    const base = { path: '/', body: '{}', connections: 1, seconds: 1 };
    await expect(openLoop({ ...base, origin: 'http://example.com:80', rate: 1 })).rejects.toThrow(
      /loopback only/,
    );
    await expect(openLoop({ ...base, origin: 'http://127.0.0.1:1', rate: 0 })).rejects.toThrow(
      /positive rate/,
    );
  });
});
