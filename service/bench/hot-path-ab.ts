/**
 * The inference hot path of this checkout against another checkout of the repository (say, main
 * before a change), on a shared machine where one closed-loop run swings by a factor of several.
 * Both services run at once as their own processes, WORKERS=1 with the production guards, and take
 * turns under the same open-loop offered load of classifier requests (cache off, as in core.ts, or
 * with --hits one repeated cacheable request: memory-tier hits after the warm-up); per round it
 * reads each service's CPU per answered request, its latencies and its GC pauses. The medians over
 * many short alternating rounds compare the two under the same noise. `--protocol grpc` sends the
 * same request as a gRPC ModelInfer call with raw contents (64 call slots on one channel) instead.
 *
 *   npx tsx service/bench/hot-path-ab.ts --baseline <other checkout> [--rounds 12] [--seconds 3] [--rate 1500] [--protocol rest|grpc] [--hits]
 */
import path from 'node:path';
import { percentile } from '../../test/support/load';
import { freePort } from '../../test/support/free-port';
import { REPO_ROOT, type ServiceProcess } from '../../test/support/service-process';
import { startCheckoutService } from './bench-processes';
import { describeGcPauses, gcPausesBetween, mergeGcPauses, type GcPauses } from './gc-pauses';
import { grpcOpenLoop } from './grpc-open-loop';
import { MODEL_INFER_PATH } from './grpc-requests';
import { openLoop, type OpenLoopResult } from './open-loop';
import { mainThreadCpuMs, processCpuMs } from './process-cpu';
import { arg, requiredArg } from './args';
import { classifierBodyArg } from './requests';

const BASELINE = path.resolve(requiredArg('baseline'));
const ROUNDS = Number(arg('rounds', '12'));
const SECONDS = Number(arg('seconds', '3'));
const RATE = Number(arg('rate', '1500'));
const HITS = process.argv.includes('--hits');
const PROTOCOL = arg('protocol', 'rest');
if (PROTOCOL !== 'rest' && PROTOCOL !== 'grpc') throw new Error('--protocol is rest or grpc');
const PATH = '/v2/models/breast-cancer/versions/1/infer';

// The same row, cacheable with --hits and `"cache": false` without (requests.ts), on either door.
const { body, grpc: grpcRequest } = classifierBodyArg();

interface Round {
  gc: GcPauses[];
  cpuUsPerRequest: number;
  mainThreadUsPerRequest: number;
  p50: number;
  p99: number;
  failures: number;
}

type Service = ServiceProcess & { grpcPort: number };

async function start(root: string): Promise<Service> {
  // Not GRPC_PORT=ephemeral: the baseline checkout may predate it.
  const grpcPort = await freePort();
  return { ...(await startCheckoutService(root, { GRPC_PORT: String(grpcPort) })), grpcPort };
}

function load(svc: Service): Promise<OpenLoopResult> {
  const common = { rate: RATE, seconds: SECONDS };
  if (PROTOCOL === 'grpc') {
    const target = `127.0.0.1:${svc.grpcPort}`;
    return grpcOpenLoop({ ...common, target, method: MODEL_INFER_PATH, request: grpcRequest, streams: 64 });
  }
  return openLoop({ ...common, origin: svc.url, path: PATH, body, connections: 64 });
}

const metricsText = async (svc: ServiceProcess) => (await fetch(`${svc.url}/metrics`)).text();

async function round(svc: Service): Promise<Round> {
  const before = await metricsText(svc);
  const cpu = processCpuMs(svc.child.pid!);
  const main = mainThreadCpuMs(svc.child.pid!);
  const r = await load(svc);
  const answered = r.latenciesMs.length;
  return {
    gc: gcPausesBetween(before, await metricsText(svc)),
    cpuUsPerRequest: ((processCpuMs(svc.child.pid!) - cpu) * 1000) / answered,
    mainThreadUsPerRequest: ((mainThreadCpuMs(svc.child.pid!) - main) * 1000) / answered,
    p50: percentile(r.latenciesMs, 50),
    p99: percentile(r.latenciesMs, 99),
    failures: r.failures,
  };
}

const median = (xs: number[]) => percentile(xs, 50);

async function main() {
  const services = { this: await start(REPO_ROOT), baseline: await start(BASELINE) };
  const rounds: Record<keyof typeof services, Round[]> = { this: [], baseline: [] };
  try {
    for (const svc of Object.values(services)) await round(svc); // warm-up, not counted
    for (let i = 0; i < ROUNDS; i++) {
      // ABBA order, so that a drift in the machine's load hits both sides alike.
      const order: (keyof typeof services)[] = i % 2 === 0 ? ['this', 'baseline'] : ['baseline', 'this'];
      for (const name of order) rounds[name].push(await round(services[name]));
    }
  } finally {
    await Promise.all(Object.values(services).map((s) => s.stop()));
  }
  console.log(
    `# hot path A/B over ${PROTOCOL}: ${ROUNDS} rounds x ${SECONDS} s at ${RATE} req/s offered, 64 connections or streams, ` +
      (HITS ? 'memory-tier cache hits' : 'cache off'),
  );
  console.log(`baseline: ${BASELINE}`);
  for (const [name, rs] of Object.entries(rounds)) {
    console.log(
      `${name.padEnd(9)} CPU ${median(rs.map((r) => r.cpuUsPerRequest)).toFixed(1)} us/request ` +
        `(main thread ${median(rs.map((r) => r.mainThreadUsPerRequest)).toFixed(1)})   ` +
        `p50 ${median(rs.map((r) => r.p50)).toFixed(2)} ms   p99 ${median(rs.map((r) => r.p99)).toFixed(2)} ms   ` +
        `(medians; ${rs.reduce((s, r) => s + r.failures, 0)} failures)`,
    );
    const each = (f: (r: Round) => number, digits: number) => rs.map((r) => f(r).toFixed(digits)).join(' ');
    console.log(`          rounds: CPU us ${each((r) => r.cpuUsPerRequest, 1)}`);
    console.log(`                  main thread us ${each((r) => r.mainThreadUsPerRequest, 1)}`);
    console.log(`                  p99 ms ${each((r) => r.p99, 2)}`);
    console.log(`          GC over the rounds: ${describeGcPauses(mergeGcPauses(rs.map((r) => r.gc)))}`);
  }
}

void main();
