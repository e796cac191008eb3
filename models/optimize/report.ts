import type { Mode } from './args';
import { renderChart, type ChartPanel } from './chart';
import type { CpuInfo } from './cpu';
import type { Comparison } from './evaluate';
import type { GateConfig, GateResult } from './gate';
import type { BatchLatency } from './latency';

export interface OptimizationReport {
  model: string;
  source_version: string;
  mode: Mode;
  /** What produced the optimised file: the quantiser and its choices, or onnxruntime's graph optimiser. */
  method: Record<string, unknown>;
  created_at: string;
  onnxruntime_node: string;
  cpu: CpuInfo;
  held_out: { file: string; rows: number };
  task: Comparison['task'];
  metric: Comparison['metric'];
  agreement: number | null;
  scores: Comparison['scores'];
  size_bytes: { original: number; optimized: number };
  latency: { threads: 1; rounds: number; round_ms: number; batches: BatchLatency[] };
  gate: GateConfig & GateResult;
  /** The version directory it was published as, or null for a dry run. */
  published_version: string | null;
}

const pct = (x: number) => `${(x * 100).toFixed(2)}%`;
const n4 = (x: number) => x.toFixed(4);
const ratio = (a: number, b: number) => (b > 0 ? a / b : NaN);

function names(r: OptimizationReport): [string, string] {
  return [`v${r.source_version} FP32`, r.mode === 'graph' ? 'graph-opt' : `INT8 ${r.mode}`];
}

/** The batch the chart and headline use: 32 when the model batches, else 1. */
function headline(r: OptimizationReport): BatchLatency {
  return r.latency.batches[r.latency.batches.length - 1];
}

export function chartPanels(r: OptimizationReport): ChartPanel[] {
  const b = headline(r);
  const mb = (x: number) => x / 1e6;
  const metricName = r.metric.name === 'accuracy' ? 'Accuracy' : 'MAE';
  const better = r.metric.name === 'accuracy' ? 'higher is better' : 'lower is better';
  return [
    {
      title: `Latency p50, batch ${b.batch} (lower is better)`,
      unit: 'ms',
      original: b.original.p50_ms,
      optimized: b.optimized.p50_ms,
      verdict: [`${ratio(b.original.p50_ms, b.optimized.p50_ms).toFixed(2)}x faster`],
    },
    {
      title: `Throughput, batch ${b.batch}, 1 thread (higher is better)`,
      unit: 'rows/s',
      original: b.original.rows_per_s,
      optimized: b.optimized.rows_per_s,
      verdict: [`${ratio(b.optimized.rows_per_s, b.original.rows_per_s).toFixed(2)}x the rows/s`],
    },
    {
      title: 'File size (lower is better)',
      unit: 'MB',
      original: mb(r.size_bytes.original),
      optimized: mb(r.size_bytes.optimized),
      verdict: [`${ratio(r.size_bytes.optimized, r.size_bytes.original).toFixed(2)}x the size`],
    },
    {
      title: `${metricName} on ${r.held_out.rows} held-out rows (${better})`,
      unit: '',
      original: r.metric.original,
      optimized: r.metric.optimized,
      format: n4,
      verdict: [
        `drop ${n4(r.metric.drop)} (gate: at most ${r.gate.max_metric_drop})`,
        ...(r.agreement === null
          ? []
          : [`top-1 agreement ${pct(r.agreement)} (gate: at least ${pct(r.gate.min_agreement)})`]),
      ],
    },
  ];
}

export function renderSvg(r: OptimizationReport): string {
  const gate = r.gate.passed ? 'gate passed' : 'gate FAILED';
  const heading = `${r.model}: v${r.source_version} FP32 vs ${names(r)[1]}, ${gate} (${r.cpu.model_name}, VNNI ${r.cpu.vnni ? 'yes' : 'no'})`;
  return renderChart(heading, names(r), chartPanels(r));
}

export function renderMarkdown(r: OptimizationReport, svgFile: string): string {
  const [orig, opt] = names(r);
  const rows = r.latency.batches.flatMap((b) => [
    `| latency p50, batch ${b.batch} (ms) | ${b.original.p50_ms.toFixed(3)} | ${b.optimized.p50_ms.toFixed(3)} | ${ratio(b.original.p50_ms, b.optimized.p50_ms).toFixed(2)}x faster |`,
    `| latency p99, batch ${b.batch} (ms) | ${b.original.p99_ms.toFixed(3)} | ${b.optimized.p99_ms.toFixed(3)} | ${ratio(b.original.p99_ms, b.optimized.p99_ms).toFixed(2)}x faster |`,
    `| rows/s, batch ${b.batch} | ${Math.round(b.original.rows_per_s)} | ${Math.round(b.optimized.rows_per_s)} | ${ratio(b.optimized.rows_per_s, b.original.rows_per_s).toFixed(2)}x |`,
    `| rows/s at p50, batch ${b.batch} | ${Math.round(b.original.rows_per_s_at_p50)} | ${Math.round(b.optimized.rows_per_s_at_p50)} | ${ratio(b.optimized.rows_per_s_at_p50, b.original.rows_per_s_at_p50).toFixed(2)}x |`,
  ]);
  const verdict = r.gate.passed
    ? `**Gate passed** (max_metric_drop ${r.gate.max_metric_drop}, min_agreement ${r.gate.min_agreement}).`
    : `**Gate failed**:\n\n${r.gate.failures.map((f) => `- ${f}`).join('\n')}`;
  return `# ${r.model}: optimisation report (${r.mode})

${r.published_version ? `Published as version ${r.published_version}` : 'Not published (dry run)'}; source: version ${r.source_version}. ${verdict}

![original vs optimised](${svgFile})

| | ${orig} | ${opt} | change |
| --- | ---: | ---: | --- |
| ${r.metric.name} on ${r.held_out.rows} held-out rows | ${n4(r.metric.original)} | ${n4(r.metric.optimized)} | drop ${n4(r.metric.drop)} |
${r.agreement === null ? '' : `| top-1 agreement | | ${pct(r.agreement)} | |\n`}| abs. score difference (\`${r.scores.output}\`), max / mean | | ${r.scores.max_abs_diff.toExponential(2)} / ${r.scores.mean_abs_diff.toExponential(2)} | |
| file size (bytes) | ${r.size_bytes.original} | ${r.size_bytes.optimized} | ${ratio(r.size_bytes.optimized, r.size_bytes.original).toFixed(2)}x |
${rows.join('\n')}

Method: ${Object.entries(r.method)
    .map(([k, v]) => `${k} = ${JSON.stringify(v)}`)
    .join('; ')}.

Timing: onnxruntime-node ${r.onnxruntime_node}, one intra-op thread, ${r.latency.rounds} interleaved rounds of
${r.latency.round_ms} ms per model and batch size (order alternating), latency percentiles over every run, rows/s
the median of the rounds (stalls from other processes included); rows/s at p50 is batch / p50 run time. CPU: ${r.cpu.model_name}; VNNI ${r.cpu.vnni ? 'present' : 'absent'} (flags: ${r.cpu.flags.join(' ') || 'none'}).
Timings move with the machine's load; the accuracy numbers do not.
`;
}
