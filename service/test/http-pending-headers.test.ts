import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { PendingHeaders } from '../src/http/pending-headers';

/** The raw response head a real node:http server writes for `answer`. */
async function rawHead(answer: (res: http.ServerResponse) => void): Promise<string> {
  const server = http.createServer((_req, res) => answer(res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = server.address() as AddressInfo;
    const res = await fetch(`http://127.0.0.1:${port}/`);
    await res.arrayBuffer();
    return [...res.headers].map(([k, v]) => `${k}: ${v}`).join('\n');
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}

describe('PendingHeaders', () => {
  it('keeps the order of first setting and replaces a value set again', () => {
    const h = new PendingHeaders();
    h.set('x-request-id', 'a');
    h.set('x-cache', 'bypass');
    h.set('x-request-id', 'b');
    expect(h.list()).toEqual(['x-request-id', 'b', 'x-cache', 'bypass']);
    expect(h.get('x-cache')).toBe('bypass');
    expect(h.get('x-served-by')).toBeUndefined();
  });

  it('writes the same response head as setHeader calls followed by writeHead with an object', async () => {
    const body = Buffer.from('{}');
    const viaSetHeader = await rawHead((res) => {
      res.setHeader('x-request-id', 'r1');
      res.setHeader('x-cache', 'bypass');
      res.setHeader('x-served-by', 'primary');
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
      res.end(body);
    });
    const viaArray = await rawHead((res) => {
      const h = new PendingHeaders();
      h.set('x-request-id', 'r1');
      h.set('x-cache', 'bypass');
      h.set('x-served-by', 'primary');
      h.set('content-type', 'application/json');
      h.set('content-length', String(body.length));
      res.writeHead(200, h.list());
      res.end(body);
    });
    // Only the Date header may differ between the two answers.
    const strip = (head: string) => head.replace(/^date: .*$/m, '');
    expect(strip(viaArray)).toBe(strip(viaSetHeader));
    expect(viaArray).toContain('x-served-by: primary');
  });

  it('hands its headers to a response that is then answered through setHeader', async () => {
    const head = await rawHead((res) => {
      const h = new PendingHeaders();
      h.set('x-request-id', 'r2');
      h.applyTo(res);
      res.setHeader('retry-after', '1');
      res.writeHead(503, { 'content-length': 0 });
      res.end();
    });
    expect(head).toMatch(/retry-after: 1[\s\S]*x-request-id: r2/);
  });
});
