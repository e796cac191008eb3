/**
 * The classifier (breast-cancer, one row, `"cache": false`, WORKERS=1, production guards) against
 * the bare node:http ceiling (ceiling-server.ts: read the body, parse the JSON, answer a constant),
 * at saturation: 64 closed-loop connections, on the same request bytes. Both stay up and take
 * turns in short rounds, so the machine's drifting load lands on both alike; the ratio is the
 * median of each service round against the ceiling round beside it. Each round also reads the
 * process's CPU per answered request (every thread, process-cpu.ts), which the client's share of
 * the two cores does not move as much as throughput.
 *
 *   npx tsx service/bench/ceiling-ratio.ts [--rounds 10] [--seconds 3] [--baseline <other checkout>]
 *
 * With --baseline, that checkout's service takes its turn too (hot-path-ab.ts starts it the same way).
 */
import path from 'node:path';
import { REPO_ROOT } from '../../test/support/service-process';
import { startCheckoutService } from './bench-processes';
import { startBenchServer } from './bench-server';
import { CONNECTIONS, closedLoop } from './closed-loop';
import { processCpuMs } from './process-cpu';
import { classifierBody } from './requests';
import { median } from './rounds';
import { arg } from './args';

const ROUNDS = Number(arg('rounds', '10'));
const SECONDS = Number(arg('seconds', '3'));
const BASELINE = arg('baseline');

// The classifier request core.ts and peers.ts send: one held-out row, `"cache": false`.
const body = classifierBody;

interface Target {
  url: string;
  pid: number;
  stop(): Promise<unknown> | void;
}

async function service(root: string): Promise<Target> {
  const svc = await startCheckoutService(root);
  return { url: svc.url, pid: svc.child.pid!, stop: () => svc.stop() };
}

interface Round {
  rps: number;
  cpuUsPerRequest: number;
  p99: number;
}

async function round(target: Target): Promise<Round> {
  const cpu = processCpuMs(target.pid);
  const r = await closedLoop(target.url, body, CONNECTIONS, SECONDS);
  return {
    rps: r.rps,
    cpuUsPerRequest: ((processCpuMs(target.pid) - cpu) * 1000) / r.requests,
    p99: r.p99,
  };
}

async function main() {
  const targets: Record<string, Target> = {
    ceiling: await startBenchServer('ceiling-server.ts', ['http']),
    this: await service(REPO_ROOT),
  };
  if (BASELINE) targets.baseline = await service(path.resolve(BASELINE));
  const names = Object.keys(targets);
  const rounds: Record<string, Round[]> = Object.fromEntries(names.map((n) => [n, []]));
  try {
    for (const t of Object.values(targets)) await closedLoop(t.url, body, CONNECTIONS, 2);
    for (let i = 0; i < ROUNDS; i++)
      // Each round rotates who goes first, so no one always follows the same neighbour.
      for (let j = 0; j < names.length; j++) {
        const name = names[(i + j) % names.length];
        rounds[name].push(await round(targets[name]));
      }
  } finally {
    await Promise.all(Object.values(targets).map((t) => t.stop()));
  }
  console.log(
    `# classifier against the node:http ceiling: ${ROUNDS} rounds x ${SECONDS} s, ${CONNECTIONS} connections`,
  );
  for (const name of names) {
    const rs = rounds[name];
    const ratios = rs.map((r, i) => r.rps / rounds.ceiling[i].rps);
    const ratio =
      name === 'ceiling'
        ? ''
        : `   ratio to ceiling ${median(ratios).toFixed(2)} (rounds: ${ratios.map((x) => x.toFixed(2)).join(' ')})`;
    console.log(
      `${name.padEnd(9)} ${median(rs.map((r) => r.rps))
        .toFixed(0)
        .padStart(6)} req/s   ` +
        `CPU ${median(rs.map((r) => r.cpuUsPerRequest)).toFixed(1)} us/request   ` +
        `p99 ${median(rs.map((r) => r.p99)).toFixed(2)} ms${ratio}   ` +
        `(rounds: ${rs.map((r) => r.rps.toFixed(0)).join(' ')})`,
    );
  }
}

void main();
