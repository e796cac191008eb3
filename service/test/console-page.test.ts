/**
 * The operator console (GET /console) in headless Chromium against the real service on loopback:
 * what it shows, that it shows server strings as text, that its numbers follow /metrics, and that
 * its actions reach the repository API (and say so when auth refuses them). Screenshots at 1280 and
 * 390 px, light and dark, are written to out/console/ for a person to look at.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConsoleStatusSchema } from '@ml-platform/contract/wire';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { createProductionGuards } from '../src/guards';
import { LATENCY_BUCKETS } from '../src/observability/metrics';
import { runLoad, scrapeMetric } from '../../test/support/load';
import { makeModelRepo } from '../../test/support/model-repo';
import {
  BUNDLED_MODELS,
  REPO_ROOT,
  abBreastCancer,
  breastCancerRequest,
  postJson,
  startTestService,
  tempRepository,
  type TestService,
} from './http-support';

const CHROMIUM = '/usr/bin/chromium';
const SHOTS = path.join(REPO_ROOT, 'out', 'console');
/** A legal directory name that would run script if the page ever parsed it as HTML. */
const HOSTILE = `<img src=x onerror="window.__pwned=1">&amp;'"`;

let context: BrowserContext;
let userDataDir: string;

beforeAll(async () => {
  userDataDir = mkdtempSync(path.join(tmpdir(), 'console-chromium-'));
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  mkdirSync(SHOTS, { recursive: true });
}, 60_000);

afterAll(async () => {
  await context?.close();
  rmSync(userDataDir, { recursive: true, force: true });
});

interface Watched {
  page: Page;
  errors: string[];
  foreign: string[];
}

/** A page on the console that records console errors, page errors and requests to other origins. */
async function openConsole(base: string, width = 1280, waitFor = '#models section.model'): Promise<Watched> {
  const page = await context.newPage();
  await page.setViewportSize({ width, height: 900 });
  const errors: string[] = [];
  const foreign: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('request', (r) => {
    if (new URL(r.url()).origin !== new URL(base).origin) foreign.push(r.url());
  });
  await page.goto(`${base}/console`);
  await page.waitForSelector(waitFor);
  return { page, errors, foreign };
}

const modelNames = (page: Page) => page.$$eval('#models h3.model-name', (hs) => hs.map((h) => h.textContent));

/** A CSS attribute selector; JSON's string escapes are valid CSS string escapes. */
const attr = (name: string, value: string) => `[${name}=${JSON.stringify(value)}]`;

const card = (page: Page, model: string) => page.locator(`#models section.model${attr('data-model', model)}`);

/** The text of one cell of a model's version row. */
const cell = (page: Page, model: string, version: string, field: string) =>
  card(page, model)
    .locator(`tr${attr('data-version', version)} ${attr('data-field', field)}`)
    .textContent();

/** Polls `read` until `ok` holds for what it returns; fails with the last value after `timeoutMs`. */
async function until<T>(read: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 8000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (ok(v)) return v;
    if (Date.now() > end) throw new Error(`still ${JSON.stringify(v)} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Clicks a model's action button, then the dialog's Confirm, and returns the result line once answered. */
async function act(page: Page, model: string, action: string): Promise<string> {
  await card(page, model)
    .locator(`button${attr('data-action', action)}`)
    .click();
  await page.locator('#confirm').waitFor({ state: 'visible' });
  expect(await page.textContent('#confirm-text')).toContain(model);
  await page.click('#confirm-ok');
  return until(
    async () => (await page.textContent('#action-result')) ?? '',
    (text) => !/waiting for the API/.test(text),
  );
}

async function indexOf(base: string, headers: Record<string, string> = {}) {
  const res = await postJson(`${base}/v2/repository/index`, {}, headers);
  return res.json as unknown as { name: string; version?: string; state: string }[];
}

async function screenshots(page: Page, name: string) {
  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    for (const width of [1280, 390]) {
      await page.setViewportSize({ width, height: 900 });
      await page.waitForTimeout(300); // the charts resize on the next animation frame
      await page.screenshot({ path: path.join(SHOTS, `${name}-${width}-${scheme}.png`), fullPage: true });
    }
  }
}

describe('operator console, auth off', () => {
  let service: TestService;
  let repo: { dir: string; remove(): void };

  beforeAll(async () => {
    repo = tempRepository(['breast-cancer', 'breast-cancer-lite', 'digits']);
    // A copy of the small classifier under a name made of HTML and script characters. The repository
    // lists it but will not serve it (model names are letters, digits, _ . -), with a reason that
    // quotes the name: the page has to show both.
    const hostileDir = path.join(repo.dir, HOSTILE);
    renameSync(path.join(repo.dir, 'breast-cancer-lite'), hostileDir);
    const config = JSON.parse(readFileSync(path.join(hostileDir, 'config.json'), 'utf8'));
    writeFileSync(path.join(hostileDir, 'config.json'), JSON.stringify({ ...config, name: HOSTILE }));
    service = await startTestService({ MODEL_REPOSITORY: repo.dir }, { guards: createProductionGuards });
    await service.loaded;
  }, 60_000);

  afterAll(async () => {
    await service?.stop(5000);
    repo?.remove();
  });

  it('serves the page under a strict CSP with no inline script or style', async () => {
    const res = await fetch(`${service.url}/console`);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    const html = await res.text();
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).not.toMatch(/<style|\sstyle=/);
    expect((await fetch(`${service.url}/console/other.js`)).status).toBe(404);
  });

  it('loads with no errors and no foreign requests, and shows every model, hostile names as text', async () => {
    const { page, errors, foreign } = await openConsole(service.url);
    const names = [...new Set((await indexOf(service.url)).map((e) => e.name))].sort();
    expect(names).toContain(HOSTILE);
    expect(((await modelNames(page)) as string[]).sort()).toEqual(names);
    // Shown as its characters: no element was made of it and nothing ran.
    expect(await page.$$eval('#models img, #models script', (els) => els.length)).toBe(0);
    expect(await page.evaluate('window.__pwned')).toBeUndefined();
    // The repository refuses such a name for serving but lists it, with a reason that quotes it.
    expect(await cell(page, HOSTILE, '', 'state')).toMatch(/^unavailable: .*must be a model name/);
    expect(await cell(page, HOSTILE, '', 'state')).toContain(HOSTILE);
    expect(await cell(page, 'breast-cancer', '2', 'traffic')).toMatch(/^canary \d/);
    expect(await page.textContent('#health')).toMatch(/Workers\s*1/);
    expect(await page.textContent('#health')).toContain('not configured');
    await page.waitForTimeout(2500); // at least one more poll
    expect(errors).toEqual([]);
    expect(foreign).toEqual([]);
    await page.close();
  }, 30_000);

  it('follows a bounded load: its numbers update and agree with /metrics', async () => {
    const { page, errors } = await openConsole(service.url);
    const labels = { model: 'breast-cancer', version: '1' };
    const before =
      (await scrapeMetric(service.url, 'inference_requests_total', { ...labels, status: '200' })) ?? 0;
    const bucketsBefore = await Promise.all(
      [...LATENCY_BUCKETS.map(String), '+Inf'].map(
        async (le) =>
          (await scrapeMetric(service.url, 'inference_request_duration_seconds_bucket', { ...labels, le })) ??
          0,
      ),
    );
    await page.waitForTimeout(1500); // the ring has a sample from before the load
    const seen = new Set<string | null>();
    const load = runLoad({
      url: `${service.url}/v2/models/breast-cancer/versions/1/infer`,
      // A full drift window of breast-cancer inputs (its config's window_rows), so the drift gauge exists.
      count: 500,
      concurrency: 4,
      pauseMs: 25,
      // Rows differ, so they miss the prediction cache and reach the batcher.
      request: (i) => {
        const body = breastCancerRequest(1);
        body.inputs[0].data = body.inputs[0].data.map((x) => x + i / 1000);
        return { body: JSON.stringify(body) };
      },
    });
    const watching = (async () => {
      for (let i = 0; i < 8; i++) {
        seen.add(await cell(page, 'breast-cancer', '1', 'reqPerSec'));
        await page.waitForTimeout(500);
      }
    })();
    const results = await load;
    await watching;
    expect(results.every((r) => r.status === 200)).toBe(true);
    const after =
      (await scrapeMetric(service.url, 'inference_requests_total', { ...labels, status: '200' })) ?? 0;
    expect(after - before).toBe(500);
    // Its req/s changed while the load ran.
    expect(seen.size).toBeGreaterThan(1);

    // Within the console's summary window, its request count is the counter's increase...
    await until(
      () => cell(page, 'breast-cancer', '1', 'requests'),
      (text) => text === String(after - before),
    );
    // ...and its p95 lies in the /metrics bucket where 95 % of the load's requests fall.
    const bucketsAfter = await Promise.all(
      [...LATENCY_BUCKETS.map(String), '+Inf'].map(
        async (le) =>
          (await scrapeMetric(service.url, 'inference_request_duration_seconds_bucket', { ...labels, le })) ??
          0,
      ),
    );
    const delta = bucketsAfter.map((n, i) => n - bucketsBefore[i]);
    const i95 = delta.findIndex((n) => n >= 0.95 * delta[delta.length - 1]);
    const lowerMs = (i95 === 0 ? 0 : LATENCY_BUCKETS[i95 - 1]) * 1000;
    const upperMs = (LATENCY_BUCKETS[i95] ?? Infinity) * 1000;
    const p95 = parseFloat((await cell(page, 'breast-cancer', '1', 'p95Ms')) ?? 'NaN');
    expect(p95).toBeGreaterThanOrEqual(lowerMs);
    expect(p95).toBeLessThanOrEqual(upperMs);
    const drift = await scrapeMetric(service.url, 'drift_score', labels);
    expect(drift).toBeDefined();
    await until(
      () => cell(page, 'breast-cancer', '1', 'driftScore'),
      (text) => text === drift!.toFixed(3),
    );
    // The charts drew what the window holds.
    expect(await page.$$eval('#charts figure', (fs) => fs.map((f) => f.getAttribute('data-field')))).toEqual(
      expect.arrayContaining([
        'reqPerSec',
        'p50Ms',
        'p95Ms',
        'p99Ms',
        'errorRatio',
        'meanBatchSize',
        'driftScore',
      ]),
    );
    await screenshots(page, 'console');
    expect(errors).toEqual([]);
    await page.close();
  }, 60_000);

  it('unloads and loads a model from the page, as /v2/repository/index reports', async () => {
    const { page } = await openConsole(service.url);
    const state = async () =>
      (await indexOf(service.url)).filter((e) => e.name === 'digits').map((e) => e.state);
    expect(await state()).toEqual(['READY']);
    expect(await act(page, 'digits', 'unload')).toMatch(/Unload “digits”: done \(HTTP 200\)/);
    expect(await state()).not.toContain('READY');
    await until(
      () => card(page, 'digits').locator('[data-field="state"]').first().textContent(),
      (text) => /unavailable|unloading/.test(text ?? ''),
    );
    expect(await act(page, 'digits', 'load')).toMatch(/Load “digits”: done \(HTTP 200\)/);
    expect(await state()).toEqual(['READY']);
    await page.close();
  }, 60_000);

  it('asks before acting, and a cancelled action does nothing', async () => {
    const { page } = await openConsole(service.url);
    await page.focus('[data-model="digits"] button[data-action="unload"]');
    await page.keyboard.press('Enter');
    await page.locator('#confirm').waitFor({ state: 'visible' });
    await page.keyboard.press('Escape');
    await until(
      () => page.textContent('#action-result'),
      (text) => /cancelled/.test(text ?? ''),
    );
    expect((await indexOf(service.url)).filter((e) => e.name === 'digits').map((e) => e.state)).toEqual([
      'READY',
    ]);
    await page.close();
  }, 30_000);
});

describe('operator console, auth on', () => {
  let service: TestService;
  let dir: string;
  const sha = (key: string) => createHash('sha256').update(key).digest('hex');

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'console-keys-'));
    const file = path.join(dir, 'keys.json');
    writeFileSync(
      file,
      JSON.stringify([
        { name: 'ops', sha256: sha('admin-key-for-console-test'), scopes: ['infer', 'admin'] },
        { name: 'app', sha256: sha('infer-key-for-console-test'), scopes: ['infer'] },
      ]),
    );
    service = await startTestService({ API_KEYS_FILE: file }, { guards: createProductionGuards });
    await service.loaded;
  }, 60_000);

  afterAll(async () => {
    await service?.stop(5000);
    rmSync(dir, { recursive: true, force: true });
  });

  it('shows the 401 message without a key, 403 for a key without admin, and acts with an admin key', async () => {
    // The status is read-scoped: with no key the page says so instead of showing models.
    const { page, errors } = await openConsole(service.url, 390, '#updated[data-state="bad"]');
    expect(await page.textContent('#updated')).toMatch(/not authorised \(401\).*API key/);
    expect(await page.locator('#models section.model').count()).toBe(0);
    const admin = { authorization: 'Bearer admin-key-for-console-test' };

    await page.fill('#api-key', 'infer-key-for-console-test');
    await page.press('#api-key', 'Enter');
    await page.waitForSelector('#models section.model');
    expect(await act(page, 'digits', 'unload')).toMatch(/forbidden \(403\).*admin scope/);
    await page.click('#key-forget');
    expect(await act(page, 'digits', 'unload')).toMatch(/not authorised \(401\).*admin scope/);
    expect(
      (await indexOf(service.url, admin)).filter((e) => e.name === 'digits').map((e) => e.state),
    ).toEqual(['READY']);

    await page.fill('#api-key', 'admin-key-for-console-test');
    await page.click('#key-save');
    // The key stays in this tab's sessionStorage, never in the page's markup.
    expect(await page.evaluate('Object.values(sessionStorage)')).toEqual(['admin-key-for-console-test']);
    expect(await page.content()).not.toContain('admin-key-for-console-test');
    expect(await act(page, 'digits', 'unload')).toMatch(/done \(HTTP 200\)/);
    expect(await act(page, 'digits', 'load')).toMatch(/done \(HTTP 200\)/);
    // Browsers log failed fetches (the 401 and 403 answers) as console errors; nothing else may appear.
    expect(errors.filter((e) => !/status of 40[13]/.test(e))).toEqual([]);
    await page.close();
  }, 60_000);
});

describe('operator console, rollouts and experiments', () => {
  const BC = path.join(BUNDLED_MODELS, 'breast-cancer');
  let service: TestService;
  let repo: ReturnType<typeof makeModelRepo>;

  beforeAll(async () => {
    repo = makeModelRepo([
      // The bundled config: a static 10 % canary to v2 and no rollout started.
      { name: 'breast-cancer', from: BC, versions: ['1', '2'] },
      { name: 'breast-cancer-lite', from: path.join(BUNDLED_MODELS, 'breast-cancer-lite') },
      abBreastCancer('bc-ab'),
    ]);
    service = await startTestService({ MODEL_REPOSITORY: repo.path });
    await service.loaded;
  }, 60_000);

  afterAll(async () => {
    await service?.stop(5000);
    repo?.cleanup();
  });

  const rollout = async () =>
    (await (await fetch(`${service.url}/v2/models/breast-cancer/rollout`)).json()) as {
      state: string;
      weights: { stable: number; canary: number };
      history: { kind: string; reason: string }[];
    };

  it('starts a rollout of the configured canary and rolls it back from the page, to weight 0', async () => {
    const { page, errors } = await openConsole(service.url);
    // A static canary from the config is no rollout: the controller has nothing to roll back.
    expect((await rollout()).state).toBe('stable');
    expect(await cell(page, 'breast-cancer', '2', 'rollout')).toBe('none');
    expect(await cell(page, 'breast-cancer', '2', 'traffic')).toBe('canary 10 %');
    expect(await act(page, 'breast-cancer', 'rollout-rollback')).toMatch(
      /Roll back “breast-cancer”: failed \(HTTP 409\).*no rollout in progress/,
    );

    expect(await act(page, 'breast-cancer', 'rollout-start')).toMatch(/Start rollout “breast-cancer”: done/);
    expect(await rollout()).toMatchObject({ state: 'canary', weights: { canary: 10 } });
    expect(
      await until(
        () => cell(page, 'breast-cancer', '2', 'rollout'),
        (t) => /^canary/.test(t ?? ''),
      ),
    ).toMatch(
      /^canary: canary 10 %, step 1 of 4; last: start of v2 at 10 % \(api\): canary 2 against stable 1/,
    );
    expect(await cell(page, 'breast-cancer', '1', 'rollout')).toMatch(/^canary: stable 90 %, step 1 of 4/);

    expect(await act(page, 'breast-cancer', 'rollout-rollback')).toMatch(/Roll back “breast-cancer”: done/);
    const after = await rollout();
    expect(after).toMatchObject({ state: 'rolled_back', weights: { canary: 0, stable: 100 } });
    expect(after.history.map((d) => d.kind)).toEqual(['start', 'rollback']);
    expect(
      await scrapeMetric(service.url, 'model_rollout_weight', { model: 'breast-cancer', version: '2' }),
    ).toBe(0);
    // The page follows: the canary has no traffic left, and the decisions are listed with their reasons.
    await until(
      () => cell(page, 'breast-cancer', '2', 'rollout'),
      (t) =>
        /^rolled back: canary 0 %; last: rollback of v2 at 0 % \(api\): rolled back by hand$/.test(t ?? ''),
    );
    expect(await cell(page, 'breast-cancer', '2', 'traffic')).toBe('none');
    expect(await cell(page, 'breast-cancer', '1', 'traffic')).toBe('stable 100 %');
    const history = card(page, 'breast-cancer').locator('details.rollout-history');
    await history.locator('summary').click();
    expect(await history.locator('li').allTextContents()).toEqual([
      expect.stringMatching(/ rollback of v2 at 0 % \(api\): rolled back by hand$/),
      expect.stringMatching(/ start of v2 at 10 % \(api\): canary 2 against stable 1 at 10%$/),
    ]);
    expect(errors.filter((e) => !/status of 409/.test(e))).toEqual([]);
    await page.close();
  }, 60_000);

  it('shows the experiment per variant with its interval, and the report’s verdict as text', async () => {
    const heldOut = JSON.parse(readFileSync(path.join(BC, 'testdata', 'test.json'), 'utf8')) as {
      inputs: number[][];
      labels: number[];
    };
    for (const [i, row] of heldOut.inputs.slice(0, 60).entries()) {
      const body = { inputs: [{ name: 'input', shape: [1, 30], datatype: 'FP32', data: row }] };
      const res = await postJson(`${service.url}/v2/models/bc-ab/infer`, body, {
        'x-experiment-key': `u${i}`,
      });
      expect(res.status).toBe(200);
      const fb = await postJson(`${service.url}/v2/models/bc-ab/feedback`, {
        id: res.headers.get('x-request-id'),
        label: heldOut.labels[i],
      });
      expect(fb.status).toBe(200);
    }
    const report = (await (await fetch(`${service.url}/v2/models/bc-ab/experiment`)).json()) as {
      verdict: string;
      variants: { variant: string; feedback: number; outcome: { value: number; ci95: number[] } }[];
    };
    expect(report.variants.reduce((n, v) => n + v.feedback, 0)).toBe(60);

    const { page } = await openConsole(service.url, 390);
    const experiment = card(page, 'bc-ab').locator('section.experiment');
    await until(
      () => experiment.locator('p.verdict').textContent(),
      (t) => t === report.verdict,
    );
    for (const v of report.variants) {
      const [low, high] = v.outcome.ci95.map((x) => `${(x * 100).toFixed(1)} %`);
      expect(await experiment.locator(`li${attr('data-variant', v.variant)}`).textContent()).toMatch(
        new RegExp(
          `^${v.variant} \\(v\\d\\): accuracy ${(v.outcome.value * 100).toFixed(1)} % \\(95 % CI ${low} to ${high}, n = ${v.feedback}\\)`,
        ),
      );
    }
    // The status with a rollout and an experiment in it is what its schema says.
    const status = ConsoleStatusSchema.parse(await (await fetch(`${service.url}/v2/console/status`)).json());
    const models = new Map(status.models.map((m) => [m.name, m]));
    expect(models.get('bc-ab')?.experiment?.verdict).toBe(report.verdict);
    expect(models.get('breast-cancer')?.versions.map((v) => v.rollout?.state)).toEqual([
      'rolled_back',
      'rolled_back',
    ]);
    // A model without an A/B split has no experiment section to show.
    expect(await card(page, 'breast-cancer').locator('section.experiment').isHidden()).toBe(true);
    // With the rollout of the test before, rolled back, and its decisions opened.
    await card(page, 'breast-cancer').locator('details.rollout-history summary').click();
    await screenshots(page, 'console-rollout');
    await page.close();
  }, 60_000);
});
