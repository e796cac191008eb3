/**
 * How a large request body reaches the handler, and what its buffers cost the garbage collector:
 * the two facts that decide whether reading the socket differently could make a 32-row JSON
 * request cheaper (docs/benchmarks.md, "The body's buffers and the request's FP32 copy").
 *
 * 1. Chunks per body: a bare `node:http` server on loopback takes the 32-row heavy-mlp JSON body
 *    (151 kB) from keep-alive clients, once per `highWaterMark`, and counts the `data` chunks each
 *    body arrived in and their sizes.
 * 2. Young backing-store bytes per scavenge: a child process allocates 1.3 GB in buffers of one
 *    size, each with a backing store of its own as the HTTP parser's body copies have, drops each
 *    at once and counts its "external memory pressure" scavenges under `--trace-gc`: 64 KiB
 *    buffers with V8's default new space and with the semi-space flags changed, then smaller and
 *    larger buffers.
 *
 *   npx tsx service/bench/body-chunks.ts [--bodies 400]
 */
import { spawnSync } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { numberArg } from './args';
import { heavyBody } from './requests';
import { runMain } from './run-main';

const BODIES = numberArg('bodies', 400);
/** What each child allocates in all, in buffers of one size. */
const ALLOCATED = 20000 * 65536;
const CLIENTS = 4;
const HIGH_WATER_MARKS = [undefined, 16 * 1024, 256 * 1024, 1024 * 1024];
const KIB = 1024;
const ALLOCATIONS: { flags: string[]; size: number }[] = [
  { flags: [], size: 64 * KIB },
  { flags: ['--max-semi-space-size=64'], size: 64 * KIB },
  { flags: ['--min-semi-space-size=16'], size: 64 * KIB },
  { flags: [], size: 16 * KIB },
  { flags: [], size: 256 * KIB },
];

/** The chunk sizes of every body the server took, joined with '+'. */
async function chunksPerBody(body: Buffer, highWaterMark: number | undefined): Promise<string[]> {
  const bodies: string[] = [];
  const server = http.createServer(highWaterMark ? { highWaterMark } : {}, (req, res) => {
    const sizes: number[] = [];
    req.on('data', (c: Buffer) => sizes.push(c.length));
    req.on('end', () => {
      bodies.push(sizes.join('+'));
      res.end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const agent = new http.Agent({ keepAlive: true, maxSockets: CLIENTS });
  const post = () =>
    new Promise<void>((resolve, reject) => {
      const req = http.request(
        { host: '127.0.0.1', port, method: 'POST', agent, headers: { 'content-length': body.length } },
        (res) => res.resume().on('end', resolve),
      );
      req.on('error', reject);
      req.end(body);
    });
  try {
    for (let sent = 0; sent < BODIES; sent += CLIENTS) {
      await Promise.all(Array.from({ length: CLIENTS }, post));
    }
  } finally {
    agent.destroy();
    server.closeAllConnections();
    server.close();
  }
  return bodies;
}

/** MB of backing stores of `size` bytes allocated per "external memory pressure" scavenge, under `flags`. */
function backingStoreMbPerScavenge(flags: string[], size: number): { scavenges: number; mbPer: number } {
  const code =
    `let sink = 0; for (let i = 0; i < ${ALLOCATED / size}; i++) { const b = Buffer.allocUnsafeSlow(${size}); ` +
    `b[0] = i; sink += b[0]; } if (sink < 0) console.log(sink);`;
  const out = spawnSync(process.execPath, ['--trace-gc', ...flags, '-e', code], { encoding: 'utf8' });
  if (out.status !== 0) throw new Error(`the allocating child failed: ${out.stderr}`);
  const scavenges = out.stdout.split('\n').filter((l) => /Scavenge.*external memory pressure/.test(l)).length;
  return { scavenges, mbPer: scavenges ? ALLOCATED / scavenges / 1e6 : Infinity };
}

async function main(): Promise<void> {
  const body = Buffer.from(heavyBody(32));
  console.log(`# 32-row heavy-mlp JSON body, ${body.length} bytes, ${BODIES} bodies from ${CLIENTS} clients`);
  console.log('| server highWaterMark | chunks per body (bodies) | chunk sizes, most common |');
  console.log('| --- | --- | --- |');
  for (const hwm of HIGH_WATER_MARKS) {
    const bodies = await chunksPerBody(body, hwm);
    const counts = new Map<number, number>();
    const shapes = new Map<string, number>();
    for (const b of bodies) {
      const n = b.split('+').length;
      counts.set(n, (counts.get(n) ?? 0) + 1);
      shapes.set(b, (shapes.get(b) ?? 0) + 1);
    }
    const common = [...shapes].sort((a, b) => b[1] - a[1])[0][0];
    const histogram = [...counts].map(([n, k]) => `${n} (${k})`).join(', ');
    console.log(`| ${hwm ?? 'default'} | ${histogram} | ${common} |`);
  }
  console.log(`\n# ${(ALLOCATED / 1e9).toFixed(2)} GB in buffers of one size, each dropped at once`);
  console.log(
    '| buffer | node flags | external-memory-pressure scavenges | MB of backing stores per scavenge |',
  );
  console.log('| --- | --- | --- | --- |');
  for (const { flags, size } of ALLOCATIONS) {
    const { scavenges, mbPer } = backingStoreMbPerScavenge(flags, size);
    console.log(
      `| ${size / KIB} KiB | ${flags.join(' ') || '(none)'} | ${scavenges} | ${mbPer.toFixed(1)} |`,
    );
  }
}

runMain(main);
