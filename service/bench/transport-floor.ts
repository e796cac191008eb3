/**
 * What each front door's transport costs the server per call with nothing behind it: a unary gRPC
 * method through @grpc/grpc-js, the same call answered on bare node:http2, and an HTTP/1.1 POST on
 * node:http. Each server is its own process and answers a 120-byte message with an x-request-id
 * (a trailer over gRPC, a header over HTTP/1.1) on the next turn of its event loop; the raw-socket
 * generators (grpc-open-loop.ts, open-loop.ts) drive them in turn at the same offered load, 64
 * call slots or connections. The gap between gRPC's and REST's server CPU per request in
 * grpc-rest.ts is the gap between these floors plus what differs in the doors' own code.
 *
 *   npx tsx service/bench/transport-floor.ts [--rounds 7] [--seconds 2] [--rate 1500]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { percentile } from '../../test/support/load';
import { grpcOpenLoop } from './grpc-open-loop';
import { openLoop } from './open-loop';
import { processCpuMs } from './process-cpu';
import { numberArg } from './args';

type Transport = 'grpc-js' | 'node:http2' | 'node:http';
const TRANSPORTS: Transport[] = ['grpc-js', 'node:http2', 'node:http'];
const METHOD = '/bench.Floor/Call';
const ANSWER = Buffer.alloc(120, 1);

/** The server side, in the child process: listens on loopback and prints its port. */
function serve(transport: Transport): void {
  const ready = (port: number) => console.log(port);
  if (transport === 'grpc-js') {
    const identity = (b: Buffer) => b;
    const server = new grpc.Server({ 'grpc.enable_channelz': 0 });
    const call = { path: METHOD, requestStream: false, responseStream: false };
    server.addService(
      {
        Call: {
          ...call,
          requestSerialize: identity,
          requestDeserialize: identity,
          responseSerialize: identity,
          responseDeserialize: identity,
        },
      },
      {
        Call: (_call: unknown, callback: grpc.sendUnaryData<Buffer>) => {
          const trailers = new grpc.Metadata();
          trailers.set('x-request-id', 'floor');
          setImmediate(() => callback(null, ANSWER, trailers));
        },
      },
    );
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, port) => {
      if (err) throw err;
      ready(port);
    });
  } else if (transport === 'node:http2') {
    const framed = Buffer.alloc(5 + ANSWER.length);
    framed.writeUInt32BE(ANSWER.length, 1);
    ANSWER.copy(framed, 5);
    const server = http2.createServer();
    server.on('stream', (stream) => {
      stream.on('data', () => undefined);
      stream.on('end', () =>
        setImmediate(() => {
          stream.respond(
            { ':status': 200, 'content-type': 'application/grpc+proto' },
            { waitForTrailers: true },
          );
          stream.once('wantTrailers', () =>
            stream.sendTrailers({ 'grpc-status': '0', 'x-request-id': 'floor' }),
          );
          stream.end(framed);
        }),
      );
    });
    server.listen(0, '127.0.0.1', () => ready((server.address() as AddressInfo).port));
  } else {
    const server = http.createServer((req, res) => {
      req.on('data', () => undefined);
      req.on('end', () =>
        setImmediate(() => {
          res.writeHead(200, { 'content-length': ANSWER.length, 'x-request-id': 'floor' });
          res.end(ANSWER);
        }),
      );
    });
    server.listen(0, '127.0.0.1', () => ready((server.address() as AddressInfo).port));
  }
}

async function start(transport: Transport): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, ['-r', 'tsx/cjs', __filename, '--serve', transport], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolve) =>
    child.stdout!.once('data', (d: Buffer) => resolve(Number(d.toString().trim()))),
  );
  return { child, port };
}

async function main() {
  const rounds = numberArg('rounds', 7);
  const seconds = numberArg('seconds', 2);
  const rate = numberArg('rate', 1500);
  const request = Buffer.alloc(150, 2);
  const servers = await Promise.all(TRANSPORTS.map(async (t) => ({ transport: t, ...(await start(t)) })));
  const cpu: Record<Transport, number[]> = { 'grpc-js': [], 'node:http2': [], 'node:http': [] };
  try {
    for (let i = 0; i <= rounds; i++) {
      for (const s of servers) {
        const before = processCpuMs(s.child.pid!);
        const common = { rate, seconds };
        const r =
          s.transport === 'node:http'
            ? await openLoop({
                ...common,
                origin: `http://127.0.0.1:${s.port}`,
                path: '/',
                body: request,
                connections: 64,
              })
            : await grpcOpenLoop({
                ...common,
                target: `127.0.0.1:${s.port}`,
                method: METHOD,
                request,
                streams: 64,
              });
        if (r.failures > 0) throw new Error(`${s.transport}: ${r.failures} calls failed`);
        // Round 0 warms each server up and is not counted.
        if (i > 0)
          cpu[s.transport].push(((processCpuMs(s.child.pid!) - before) * 1000) / r.latenciesMs.length);
      }
    }
  } finally {
    for (const s of servers) s.child.kill();
  }
  console.log(`# transport floor: ${rounds} rounds x ${seconds} s at ${rate}/s, 64 slots or connections`);
  for (const t of TRANSPORTS) {
    console.log(
      `${t.padEnd(11)} server CPU ${percentile(cpu[t], 50).toFixed(1)} us/call (median; rounds ${cpu[t].map((x) => x.toFixed(0)).join(' ')})`,
    );
  }
}

if (process.argv[2] === '--serve') serve(process.argv[3] as Transport);
else void main();
