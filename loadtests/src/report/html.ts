import { formatActual, type LatencyPoint, type LoadTestReport } from './report';

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

const W = 640;
const H = 320;
const M = { top: 20, right: 120, bottom: 40, left: 60 };

/** A "nice" axis maximum (1, 2 or 5 times a power of ten) at or above `v`. */
export function niceCeil(v: number): number {
  if (!(v > 0)) return 1;
  const pow = 10 ** Math.floor(Math.log10(v));
  return ([1, 2, 5, 10].find((m) => m * pow >= v) ?? 10) * pow;
}

/**
 * Latency percentiles as an inline SVG line chart, with the SLA's p50/p95/p99 as dashed limits.
 * Inline so the report opens offline and in CI artifacts (no CDN, no script).
 */
export function latencyChartSvg(points: LatencyPoint[], sla: LoadTestReport['sla']): string {
  const limits: Array<[string, number]> = [
    ['p50', sla.p50LatencyMs],
    ['p95', sla.p95LatencyMs],
    ['p99', sla.p99LatencyMs],
  ];
  const yMax = niceCeil(Math.max(...points.map((p) => p.valueMs), ...limits.map(([, v]) => v)) * 1.05);
  const plotW = W - M.left - M.right;
  const plotH = H - M.top - M.bottom;
  const x = (i: number) => M.left + (points.length <= 1 ? plotW / 2 : (i * plotW) / (points.length - 1));
  const y = (v: number) => M.top + plotH - (v / yMax) * plotH;
  const f = (n: number) => n.toFixed(1);

  const ticks = [0, 0.25, 0.5, 0.75, 1].map((t) => {
    const v = yMax * t;
    return (
      `<line class="grid" x1="${M.left}" x2="${W - M.right}" y1="${f(y(v))}" y2="${f(y(v))}" stroke="#e5e7eb"/>` +
      `<text x="${M.left - 8}" y="${f(y(v) + 4)}" text-anchor="end" font-size="11">${+v.toFixed(2)}</text>`
    );
  });
  const slaLines = limits.map(
    ([label, v]) =>
      `<line class="sla-limit" data-sla="${label}" x1="${M.left}" x2="${W - M.right}" y1="${f(y(v))}" y2="${f(y(v))}" stroke="#dc2626" stroke-dasharray="6 4"/>` +
      `<text x="${W - M.right + 6}" y="${f(y(v) + 4)}" font-size="11" fill="#dc2626">SLA ${label} ${v}ms</text>`,
  );
  const line = points.map((p, i) => `${f(x(i))},${f(y(p.valueMs))}`).join(' ');
  const dots = points.map(
    (p, i) =>
      `<circle class="percentile" data-label="${escapeHtml(p.label)}" data-value-ms="${p.valueMs}" cx="${f(x(i))}" cy="${f(y(p.valueMs))}" r="4" fill="#2563eb"><title>${escapeHtml(p.label)}: ${p.valueMs.toFixed(2)}ms</title></circle>` +
      `<text x="${f(x(i))}" y="${H - M.bottom + 18}" text-anchor="middle" font-size="12">${escapeHtml(p.label)}</text>`,
  );
  return [
    `<svg id="latency-chart" xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img" aria-label="latency percentiles in milliseconds">`,
    ...ticks,
    `<text x="14" y="${M.top + plotH / 2}" transform="rotate(-90 14 ${M.top + plotH / 2})" text-anchor="middle" font-size="12">latency (ms)</text>`,
    ...slaLines,
    points.length > 0 ? `<polyline points="${line}" fill="none" stroke="#2563eb" stroke-width="2"/>` : '',
    ...dots,
    '</svg>',
  ].join('\n');
}

function row(cells: string[], tag = 'td'): string {
  return `<tr>${cells.map((c) => `<${tag}>${c}</${tag}>`).join('')}</tr>`;
}

/** A self-contained HTML report: verdict, thresholds, stages and the latency-percentile chart. */
export function renderHtml(report: LoadTestReport): string {
  const e = escapeHtml;
  const verdict = report.passed ? 'PASS' : 'FAIL';
  const thresholdRows = report.thresholds.map((r) =>
    row([
      e(r.metric),
      e(r.expression) + (r.abortOnFail ? ' <small>(abort)</small>' : ''),
      e(formatActual(r)),
      `<span class="${r.ok ? 'ok' : 'bad'}">${r.ok ? 'pass' : 'FAIL'}</span>${r.reason ? ` ${e(r.reason)}` : ''}`,
    ]),
  );
  const stageRows = report.stages.map((s, i) =>
    row([
      String(i + 1),
      s.targetRps.toFixed(1),
      s.achievedRps.toFixed(1),
      s.durationSec.toFixed(1),
      String(s.requests),
    ]),
  );
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${e(`${report.scenario} load test: ${verdict}`)}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2rem; color: #111827; }
table { border-collapse: collapse; margin: 1rem 0; }
td, th { border: 1px solid #d1d5db; padding: 4px 10px; text-align: left; }
.ok { color: #15803d; font-weight: 600; } .bad { color: #b91c1c; font-weight: 600; }
</style>
</head>
<body>
<h1>${e(report.scenario)} load test: <span id="verdict" class="${report.passed ? 'ok' : 'bad'}">${verdict}</span></h1>
<p>${e(report.description)}</p>
<p>Target <code>${e(report.target)}</code>${report.model ? `, model <code>${e(report.model)}</code>` : ''}${report.stack ? `, SLA of stack <code>${e(report.stack)}</code>` : ''}, driven by ${e(report.tool)}:
${report.requests} requests in ${report.durationSec.toFixed(1)} s (${report.achievedRps.toFixed(1)} rps).</p>
${report.aborted ? `<p class="bad">Aborted: ${e(report.aborted)}</p>` : ''}
<h2>Latency percentiles</h2>
${latencyChartSvg(report.latency, report.sla)}
<h2>Thresholds</h2>
<table id="thresholds">${row(['metric', 'threshold', 'actual', 'result'], 'th')}${thresholdRows.join('')}</table>
${stageRows.length > 0 ? `<h2>Stages</h2><table id="stages">${row(['stage', 'target rps', 'achieved rps', 'seconds', 'requests'], 'th')}${stageRows.join('')}</table>` : ''}
</body>
</html>
`;
}
