import { formatActual, type LoadTestReport } from './report';

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]))
      .join('  ')
      .replace(/\s+$/, ''); // not trimEnd: k6's runtime is only guaranteed ES2017
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** The readable summary printed at the end of a run and written next to the JSON. */
export function renderText(report: LoadTestReport): string {
  const head = [
    `${report.scenario} (${report.tool}) against ${report.target}${report.model ? ` model ${report.model}` : ''}` +
      `${report.stack ? `, SLA of stack ${report.stack}` : ''}`,
    `  ${report.description}`,
    `  ${report.requests} requests in ${report.durationSec.toFixed(1)}s (${report.achievedRps.toFixed(1)} rps achieved)`,
  ];
  if (report.aborted) head.push(`  ABORTED: ${report.aborted}`);
  const sections = [head.join('\n')];
  if (report.stages.length > 0) {
    sections.push(
      table(
        ['stage', 'target rps', 'achieved rps', 'seconds', 'requests'],
        report.stages.map((s, i) => [
          String(i + 1),
          s.targetRps.toFixed(1),
          s.achievedRps.toFixed(1),
          s.durationSec.toFixed(1),
          String(s.requests),
        ]),
      ),
    );
  }
  if (report.latency.length > 0) {
    sections.push(
      table(
        report.latency.map((p) => p.label),
        [report.latency.map((p) => `${p.valueMs.toFixed(2)}ms`)],
      ),
    );
  }
  sections.push(
    table(
      ['metric', 'threshold', 'actual', 'result'],
      report.thresholds.map((r) => [
        r.metric,
        r.expression + (r.abortOnFail ? ' (abort)' : ''),
        formatActual(r),
        r.ok ? 'met' : `missed${r.reason ? `: ${r.reason}` : ''}`,
      ]),
    ),
  );
  sections.push(verdictLine(report));
  return `${sections.join('\n\n')}\n`;
}

/**
 * The summary's last line. Neither it nor the table says PASS or FAIL: `go test` and Perl's prove
 * close a run with those words, and a CI that reads test runners' closing lines would take a load
 * test's summary, printed inside a test run, for one of theirs.
 */
export function verdictLine(report: LoadTestReport): string {
  const met = report.thresholds.filter((r) => r.ok).length;
  const of = `of ${report.thresholds.length} thresholds`;
  return report.passed
    ? `load test passed: ${met} ${of} met`
    : `load test failed: ${report.thresholds.length - met} ${of} breached${report.aborted ? ', aborted' : ''}`;
}
