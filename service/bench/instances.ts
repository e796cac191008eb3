/**
 * heavy-mlp with large requests: model instances (instance_group count) against onnxruntime's own
 * intra-op threads, to choose the bundled default.
 *
 *   npx tsx service/bench/instances.ts [--seconds 8] [--rounds 3] [--rows 32] [--connections 16]
 *                                      [--layouts 1x1,2x1,1x2,2x2]
 *
 * A layout `IxT` is I instances of T intra-op threads each. Every round starts a fresh service
 * per layout, in turn (interleaved, so that the shared machine's drift hits every layout alike),
 * and drives it closed-loop with requests of `rows` rows. Prints every round, then per layout the
 * medians of rows/s, p50 and p99 and the mean batch the service formed.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { closedLoop, type LatencyRun } from './closed-loop';
import { loadAverage, withTempService } from './temp-service';
import { percentile, scrapeMetric } from '../../test/support/load';
import { BUNDLED_MODELS } from '../../test/support/model-repo';
import { arg } from './args';

const SECONDS = Number(arg('seconds', '8'));
const ROUNDS = Number(arg('rounds', '3'));
const ROWS = Number(arg('rows', '32'));
const CONNECTIONS = Number(arg('connections', '16'));
const LAYOUTS = arg('layouts', '1x1,2x1,1x2,2x2')
  .split(',')
  .map((l) => {
    const [instances, threads] = l.split('x').map(Number);
    return { name: l, instances, threads };
  });

const body = JSON.stringify({
  inputs: [
    {
      name: 'input',
      datatype: 'FP32',
      shape: [ROWS, 256],
      data: Array.from({ length: ROWS * 256 }, (_, i) => (i % 17) / 17),
    },
  ],
});

interface Result extends LatencyRun {
  rowsPerSecond: number;
  meanBatch: number;
}

async function measure(instances: number, threads: number): Promise<Result> {
  const source = path.join(BUNDLED_MODELS, 'heavy-mlp');
  const { session } = JSON.parse(readFileSync(path.join(source, 'config.json'), 'utf8'));
  const model = {
    name: 'heavy-mlp',
    from: source,
    config: {
      instance_group: [{ count: instances, kind: 'KIND_CPU' }],
      session: { ...session, intra_op_num_threads: threads },
    },
  };
  return withTempService([model], async (svc) => {
    const run = await closedLoop(svc.url, body, CONNECTIONS, SECONDS, {}, '/v2/models/heavy-mlp/infer');
    // The service's own batch-size histogram: rows per executed batch (one version here).
    const batches = (part: string) =>
      scrapeMetric(svc.url, `inference_batch_size_${part}`, { model: 'heavy-mlp' });
    const meanBatch = (await batches('sum'))! / (await batches('count'))!;
    return { ...run, rowsPerSecond: run.rps * ROWS, meanBatch };
  });
}

const median = (xs: number[]) => percentile(xs, 50);

async function main(): Promise<void> {
  console.log(
    `heavy-mlp, ${ROWS} rows per request, ${CONNECTIONS} connections, ${SECONDS} s per run; ` +
      `load average ${loadAverage()}`,
  );
  const results = new Map<string, Result[]>(LAYOUTS.map((l) => [l.name, []]));
  for (let round = 1; round <= ROUNDS; round++) {
    for (const layout of LAYOUTS) {
      const r = await measure(layout.instances, layout.threads);
      results.get(layout.name)!.push(r);
      console.log(
        `  round ${round}, ${layout.instances} instance(s) x ${layout.threads} thread(s): ` +
          `${r.rowsPerSecond.toFixed(0)} rows/s, p50 ${r.p50.toFixed(1)} ms, p99 ${r.p99.toFixed(1)} ms, ` +
          `mean batch ${r.meanBatch.toFixed(1)} rows, ${r.failures} not 200`,
      );
    }
  }
  console.log(
    '\n| instances | intra-op threads | rows/s | p50 | p99 | mean batch |\n| --- | --- | --- | --- | --- | --- |',
  );
  for (const layout of LAYOUTS) {
    const rs = results.get(layout.name)!;
    const m = (f: (r: Result) => number) => median(rs.map(f));
    console.log(
      `| ${layout.instances} | ${layout.threads} | ${m((r) => r.rowsPerSecond).toFixed(0)} | ` +
        `${m((r) => r.p50).toFixed(1)} ms | ${m((r) => r.p99).toFixed(1)} ms | ${m((r) => r.meanBatch).toFixed(1)} |`,
    );
  }
  console.log(`load average after: ${loadAverage()}`);
}

void main();
