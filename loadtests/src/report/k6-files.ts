import { renderHtml } from './html';
import type { LoadTestReport } from './report';
import { renderText } from './text';

/**
 * What a k6 script's handleSummary returns: the text report on stdout, and k6's own summary data
 * (as `summaryName`), the JSON, text and HTML reports under OUT_DIR.
 */
export function k6SummaryFiles(
  report: LoadTestReport,
  data: unknown,
  outDir: string | undefined,
  summaryName: string,
): Record<string, string> {
  const out = (outDir || '.').replace(/\/+$/, '');
  const text = renderText(report);
  return {
    stdout: text,
    [`${out}/${summaryName}`]: JSON.stringify(data, null, 2),
    [`${out}/report.json`]: JSON.stringify(report, null, 2),
    [`${out}/summary.txt`]: text,
    [`${out}/report.html`]: renderHtml(report),
  };
}
