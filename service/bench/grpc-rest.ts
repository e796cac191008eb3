/**
 * gRPC with raw contents against REST JSON and REST binary (the binary tensor extension), on the
 * classifier and on heavy-mlp, on one service process (WORKERS=1, production guards, cache off).
 * Each mode gets the same open-loop offered load over 64 concurrent connections or streams (on one
 * HTTP/2 connection, or spread over `--channels`), from clients that cost about the same CPU per
 * request (open-loop.ts, grpc-open-loop.ts), in short rounds that rotate the order of the modes, so
 * that the shared machine's noise hits all of them alike; the medians over the rounds are printed
 * with the server's CPU per answered request.
 *
 *   npx tsx service/bench/grpc-rest.ts [--rounds 8] [--seconds 3] [--rate-classifier 1500] [--rate-heavy 300] [--channels 1] [--grpc-js-client]
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { percentile } from '../../test/support/load';
import { REPO_ROOT, startServiceProcess, waitReady } from '../../test/support/service-process';
import { grpcJsOpenLoop, grpcOpenLoop } from './grpc-open-loop';
import { modelInferRequest, MODEL_INFER_PATH, type Fp32Call } from './grpc-requests';
import { openLoop, type OpenLoopResult } from './open-loop';
import { mainThreadCpuMs, processCpuMs } from './process-cpu';
import { numberArg } from './args';

const ROUNDS = numberArg('rounds', 8);
const SECONDS = numberArg('seconds', 3);
const STREAMS = 64;
const CHANNELS = numberArg('channels', 1);

interface Workload extends Fp32Call {
  name: string;
  path: string;
  rate: number;
}

const row: number[] = JSON.parse(
  readFileSync(path.join(REPO_ROOT, 'models', 'breast-cancer', 'testdata', 'test.json'), 'utf8'),
).inputs[0];
const WORKLOADS: Workload[] = [
  {
    name: 'classifier (breast-cancer, 1x30 FP32)',
    path: 'breast-cancer/versions/1',
    model: 'breast-cancer',
    version: '1',
    input: 'input',
    shape: [1, 30],
    values: row,
    rate: numberArg('rate-classifier', 1500),
  },
  {
    name: 'heavy-mlp (1x256 FP32)',
    path: 'heavy-mlp',
    model: 'heavy-mlp',
    version: '',
    input: 'input',
    shape: [1, 256],
    values: Array.from({ length: 256 }, (_, i) => ((i % 13) - 6) / 10),
    rate: numberArg('rate-heavy', 300),
  },
];

type Mode = 'rest-json' | 'rest-binary' | 'grpc-raw' | 'grpc-raw, grpc-js client';
/** `--grpc-js-client` adds the same gRPC load sent by @grpc/grpc-js, to show what the client costs. */
const MODES: Mode[] = [
  'rest-json',
  'rest-binary',
  'grpc-raw',
  ...(process.argv.includes('--grpc-js-client') ? (['grpc-raw, grpc-js client'] as const) : []),
];

function restJson(w: Workload): string {
  return JSON.stringify({
    parameters: { cache: false },
    inputs: [{ name: w.input, datatype: 'FP32', shape: w.shape, data: w.values }],
  });
}

function restBinary(w: Workload): { body: Buffer; headerLength: number } {
  const tensor = Buffer.from(Float32Array.from(w.values).buffer);
  const header = Buffer.from(
    JSON.stringify({
      parameters: { cache: false, binary_data_output: true },
      inputs: [
        { name: w.input, datatype: 'FP32', shape: w.shape, parameters: { binary_data_size: tensor.length } },
      ],
    }),
  );
  return { body: Buffer.concat([header, tensor]), headerLength: header.length };
}

interface Round {
  throughput: number;
  cpuUsPerRequest: number;
  mainThreadUsPerRequest: number;
  /** This process's CPU, the load generator's, per answered request. */
  clientUsPerRequest: number;
  p50: number;
  p99: number;
  failures: number;
}

const median = (xs: number[]) => percentile(xs, 50);

async function main() {
  const svc = await startServiceProcess({ WORKERS: '1', LOG_LEVEL: 'info', GRPC_PORT: 'ephemeral' }, 60_000);
  await waitReady(svc, 60_000);
  const run = (w: Workload, mode: Mode): Promise<OpenLoopResult> => {
    const common = { rate: w.rate, seconds: SECONDS };
    if (mode.startsWith('grpc-raw')) {
      const generator = mode === 'grpc-raw' ? grpcOpenLoop : grpcJsOpenLoop;
      return generator({
        ...common,
        target: `127.0.0.1:${svc.grpcPort}`,
        method: MODEL_INFER_PATH,
        request: modelInferRequest(w),
        streams: STREAMS,
        channels: CHANNELS,
      });
    }
    const path = `/v2/models/${w.path}/infer`;
    if (mode === 'rest-json')
      return openLoop({ ...common, origin: svc.url, path, body: restJson(w), connections: STREAMS });
    const { body, headerLength } = restBinary(w);
    return openLoop({
      ...common,
      origin: svc.url,
      path,
      body,
      headers: {
        'content-type': 'application/octet-stream',
        'inference-header-content-length': String(headerLength),
      },
      connections: STREAMS,
    });
  };
  const round = async (w: Workload, mode: Mode): Promise<Round> => {
    const cpu = processCpuMs(svc.child.pid!);
    const main = mainThreadCpuMs(svc.child.pid!);
    const client = process.cpuUsage();
    const r = await run(w, mode);
    const answered = r.latenciesMs.length;
    const clientUs = process.cpuUsage(client);
    return {
      throughput: answered / r.elapsedS,
      cpuUsPerRequest: ((processCpuMs(svc.child.pid!) - cpu) * 1000) / answered,
      mainThreadUsPerRequest: ((mainThreadCpuMs(svc.child.pid!) - main) * 1000) / answered,
      clientUsPerRequest: (clientUs.user + clientUs.system) / answered,
      p50: percentile(r.latenciesMs, 50),
      p99: percentile(r.latenciesMs, 99),
      failures: r.failures,
    };
  };
  try {
    for (const w of WORKLOADS) {
      const rounds = Object.fromEntries(MODES.map((m) => [m, [] as Round[]])) as Record<Mode, Round[]>;
      for (const mode of MODES) await round(w, mode); // warm-up, not counted
      for (let i = 0; i < ROUNDS; i++) {
        // Rotate the order so that no mode always runs first after a pause, or last.
        const order = MODES.map((_, k) => MODES[(k + i) % MODES.length]);
        for (const mode of order) rounds[mode].push(await round(w, mode));
      }
      console.log(
        `\n# ${w.name}: ${ROUNDS} rounds x ${SECONDS} s at ${w.rate}/s offered, ${STREAMS} connections/streams, ${CHANNELS} gRPC channel(s)`,
      );
      console.log(
        '| mode | answered/s | server CPU µs/request | of it main thread | client CPU µs/request | p50 ms | p99 ms | failures |',
      );
      console.log('|---|---|---|---|---|---|---|---|');
      for (const mode of MODES) {
        const rs = rounds[mode];
        const m = (f: (r: Round) => number, digits: number) => median(rs.map(f)).toFixed(digits);
        console.log(
          `| ${mode} | ${m((r) => r.throughput, 0)} | ${m((r) => r.cpuUsPerRequest, 1)} | ${m((r) => r.mainThreadUsPerRequest, 1)} | ` +
            `${m((r) => r.clientUsPerRequest, 1)} | ${m((r) => r.p50, 2)} | ${m((r) => r.p99, 2)} | ${rs.reduce((s, r) => s + r.failures, 0)} |`,
        );
      }
      console.log(
        `p99 per round, ms: ${MODES.map((mode) => `${mode} [${rounds[mode].map((r) => r.p99.toFixed(0)).join(' ')}]`).join('; ')}`,
      );
    }
  } finally {
    await svc.stop();
  }
}

void main();
