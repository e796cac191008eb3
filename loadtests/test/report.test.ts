import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { loadStackConfig } from '@ml-platform/stack-config';
import { evaluateThresholds, metricsFromK6Summary } from '../src/evaluate';
import { escapeHtml, niceCeil, renderHtml } from '../src/report/html';
import { buildReport, latencyPoints, type LoadTestReport } from '../src/report/report';
import { renderText } from '../src/report/text';
import { buildScenario } from '../src/scenarios';
import { runnerLookalikes } from '../../test/support/runner-closing-forms';

const CHROMIUM = '/usr/bin/chromium';
const staging = loadStackConfig('staging').sla;

function fixtureReport(overrides: Partial<LoadTestReport> = {}): LoadTestReport {
  const summary = JSON.parse(
    fs.readFileSync(path.join(__dirname, 'fixtures', 'k6-summary-export.staging-stress.json'), 'utf8'),
  ) as unknown;
  const metrics = metricsFromK6Summary(summary);
  const def = buildScenario(staging, 'stress');
  return {
    ...buildReport({
      tool: 'k6',
      scenario: 'stress',
      description: def.description,
      stack: 'staging',
      target: 'https://staging.example.com',
      model: '<b>digits</b>',
      sla: staging,
      durationSec: 361,
      metrics,
      verdict: evaluateThresholds(def.thresholds, metrics),
    }),
    ...overrides,
  };
}

describe('report rendering', () => {
  it('orders the latency percentiles for the chart from the summary statistics', () => {
    expect(latencyPoints(fixtureReport().metrics).map((p) => p.label)).toEqual([
      'p50',
      'p90',
      'p95',
      'p99',
      'p99.9',
      'max',
    ]);
    expect(latencyPoints({ http_req_duration: { 'p(95)': 3, max: 9 } })).toEqual([
      { label: 'p95', valueMs: 3 },
      { label: 'max', valueMs: 9 },
    ]);
  });

  it('rounds the axis to 1, 2 or 5 times a power of ten', () => {
    expect([0.7, 1, 1.2, 3, 7, 42, 2402].map(niceCeil)).toEqual([1, 1, 2, 5, 10, 50, 5000]);
  });

  it('escapes everything that comes from the target or the model', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
    const html = renderHtml(fixtureReport());
    expect(html).not.toContain('<b>digits</b>');
    expect(html).toContain('&lt;b&gt;digits&lt;/b&gt;');
    expect(html).not.toMatch(/<script|https?:\/\/(?!staging\.example\.com|www\.w3\.org)/);
  });

  it('prints one line per threshold with the observed value and the verdict', () => {
    const text = renderText(fixtureReport());
    expect(text).toMatch(/http_req_duration\s+p\(99\)<=300 \(abort\)\s+402\.55ms\s+missed/);
    expect(text).toMatch(/http_req_failed\s+rate<=0\.05 \(abort\)\s+0\.015694\s+met/);
    expect(text.trimEnd().split('\n').at(-1)).toMatch(
      /^load test failed: [1-9]\d* of \d+ thresholds breached/,
    );
    // Tests print this summary into the jest log, which CI reads for test runners' closing lines.
    expect(runnerLookalikes(text)).toEqual([]);
  });

  it("closes with how many thresholds were met or breached, never in a test runner's words", () => {
    const [t] = fixtureReport().thresholds;
    const thresholds = [
      { ...t, ok: true },
      { ...t, ok: false },
      { ...t, ok: false },
    ];
    const last = (r: LoadTestReport) => renderText(r).trimEnd().split('\n').at(-1);
    expect(last(fixtureReport({ thresholds, passed: false, aborted: null }))).toBe(
      'load test failed: 2 of 3 thresholds breached',
    );
    expect(last(fixtureReport({ thresholds, passed: false, aborted: 'p99 over the abort bound' }))).toBe(
      'load test failed: 2 of 3 thresholds breached, aborted',
    );
    const met = thresholds.map((r) => ({ ...r, ok: true }));
    expect(last(fixtureReport({ thresholds: met, passed: true, aborted: null }))).toBe(
      'load test passed: 3 of 3 thresholds met',
    );
  });
});

const describeChromium = fs.existsSync(CHROMIUM) ? describe : describe.skip;
if (!fs.existsSync(CHROMIUM))
  console.warn(`skipping the HTML report rendering test: ${CHROMIUM} is not installed`);

describeChromium('HTML report in headless Chromium', () => {
  let browser: Browser;
  let dir: string;

  beforeAll(async () => {
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'report-html-'));
  }, 30_000);

  afterAll(async () => {
    await browser?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('draws every percentile point, higher latencies higher up, with the SLA limits', async () => {
    const report = fixtureReport();
    const file = path.join(dir, 'report.html');
    fs.writeFileSync(file, renderHtml(report));
    const page = await browser.newPage();
    const failedRequests: string[] = [];
    page.on('requestfailed', (r) => failedRequests.push(r.url()));
    await page.goto(`file://${file}`);

    const svg = page.locator('svg#latency-chart');
    const box = await svg.boundingBox();
    expect(box?.width).toBe(640);
    expect(box?.height).toBe(320);

    const points = await page.$$eval('svg#latency-chart circle.percentile', (els) =>
      els.map((el) => {
        const r = el.getBoundingClientRect();
        return {
          label: el.getAttribute('data-label'),
          ms: Number(el.getAttribute('data-value-ms')),
          y: r.y + r.height / 2,
          w: r.width,
        };
      }),
    );
    expect(points.map((p) => p.label)).toEqual(report.latency.map((p) => p.label));
    expect(points.map((p) => p.ms)).toEqual(report.latency.map((p) => p.valueMs));
    for (const p of points) expect(p.w).toBeGreaterThan(0);
    for (let i = 1; i < points.length; i++) expect(points[i].y).toBeLessThan(points[i - 1].y);

    const limits = await page.$$eval('svg#latency-chart line.sla-limit', (els) =>
      els.map((el) => ({ sla: el.getAttribute('data-sla'), y: el.getBoundingClientRect().y })),
    );
    expect(limits.map((l) => l.sla)).toEqual(['p50', 'p95', 'p99']);
    // The observed p99 (402 ms) is above the 100 ms SLA p99 line: it is drawn higher on the page.
    const p99 = points.find((p) => p.label === 'p99');
    expect(p99!.y).toBeLessThan(limits.find((l) => l.sla === 'p99')!.y);

    expect(await page.locator('#verdict').textContent()).toBe('FAIL');
    expect(await page.locator('#thresholds tr').count()).toBe(report.thresholds.length + 1);
    expect(failedRequests).toEqual([]);
    await page.close();
  }, 30_000);
});
