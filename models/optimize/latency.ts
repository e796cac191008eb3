import { percentile } from '../../test/support/load';
import type { ModelUnderTest } from './evaluate';
import { cycledRows, rowsTensor } from './feeds';

export interface LatencyStats {
  p50_ms: number;
  p99_ms: number;
  /** Median over rounds of each round's rows per second: what the model delivered, stalls included. */
  rows_per_s: number;
  /** batch / p50: the model's speed while it has a core, which a busy shared machine distorts less. */
  rows_per_s_at_p50: number;
  runs: number;
}

export interface BatchLatency {
  batch: number;
  original: LatencyStats;
  optimized: LatencyStats;
}

const WARMUP_RUNS = 5;
const MIN_RUNS_PER_ROUND = 3;

/**
 * Latency and throughput of two models at one batch size on held-out rows, in interleaved rounds:
 * each round runs one model for `roundMs`, then the other (the order alternating), so that load from
 * other processes on a shared machine falls on both alike. Medians over rounds, not means.
 */
export async function measureLatency(
  original: ModelUnderTest,
  optimized: ModelUnderTest,
  rows: readonly number[][],
  batch: number,
  rounds: number,
  roundMs: number,
): Promise<BatchLatency> {
  const feeds = [original, optimized].map((m) => {
    const input = rowsTensor(m.signature, cycledRows(rows, batch));
    const outputs = m.signature.outputs.map((o) => o.name);
    return () => m.model.run([input], outputs);
  });
  for (const run of feeds) for (let i = 0; i < WARMUP_RUNS; i++) await run();
  const samples: number[][] = [[], []];
  const throughput: number[][] = [[], []];
  for (let r = 0; r < rounds; r++) {
    for (const which of r % 2 === 0 ? [0, 1] : [1, 0]) {
      const start = performance.now();
      let runs = 0;
      while (runs < MIN_RUNS_PER_ROUND || performance.now() - start < roundMs) {
        const t = performance.now();
        await feeds[which]();
        samples[which].push(performance.now() - t);
        runs++;
      }
      throughput[which].push((runs * batch * 1000) / (performance.now() - start));
    }
  }
  const stats = (i: number): LatencyStats => ({
    p50_ms: percentile(samples[i], 50),
    p99_ms: percentile(samples[i], 99),
    rows_per_s: percentile(throughput[i], 50),
    rows_per_s_at_p50: (batch * 1000) / percentile(samples[i], 50),
    runs: samples[i].length,
  });
  return { batch, original: stats(0), optimized: stats(1) };
}
