import { readFileSync } from 'node:fs';
import path from 'node:path';
import { makeModelRepo } from '../../test/support/model-repo';
import { getRollout, postRollout, type RolloutView } from '../../test/support/rollout';
import { BUNDLED_MODELS, postJson, startTestService, type TestService } from './http-support';

const BC = path.join(BUNDLED_MODELS, 'breast-cancer');
const heldOut = JSON.parse(readFileSync(path.join(BC, 'testdata', 'test.json'), 'utf8')) as {
  inputs: number[][];
};
/** Short windows and a small sample so a canary at 10% is judged within a second or two. */
const rollout = { steps: [10, 50, 100], window_seconds: 1, min_requests: 3, healthy_windows: 1 };

/** Between requests: about 40 a second at most, a few canary requests per window at 10%. */
const THIN_TRAFFIC_PAUSE_MS = 25;

/** Breast-cancer v1 and v2 under `name`, uncached, with `config` over the bundled one. */
const bc = (name: string, config: Record<string, unknown>) => ({
  name,
  from: BC,
  versions: ['1', '2'],
  config: { cache: { enabled: false, ttl_seconds: 60 }, ...config },
});

/**
 * The optional rollout signals over HTTP, on the bundled breast-cancer v1 (stable) and v2 (canary):
 * v2 fails no request and breaks no SLA, so only the switched-on signal can roll the canary back.
 */
describe('rollout signals: drift, confidence shift and shadow agreement roll a canary back', () => {
  let repo: ReturnType<typeof makeModelRepo>;
  let svc: TestService;

  beforeAll(async () => {
    repo = makeModelRepo([
      bc('bc-drift', {
        // Windows of 20 rows: the canary's 10% closes one within a few hundred requests.
        drift: { reference_profile: 'reference-profile.json', window_rows: 20, psi_threshold: 0.25 },
        rollout: { ...rollout, checks: { drift: true } },
      }),
      bc('bc-confidence', {
        drift: undefined,
        // Windows of 20 answered rows against each version's held-out confidence profile.
        quality: {
          scores_output: 'probabilities',
          reference_profile: 'quality-profile.json',
          window_rows: 20,
          shift_threshold: 0.25,
        },
        rollout: { ...rollout, checks: { confidence_shift: true } },
      }),
      bc('bc-shadow', {
        drift: undefined,
        traffic: { stable: '1', shadow: { version: '2', sample_pct: 100 } },
        // v1 and v2 disagree on 7 of the 143 held-out rows (they are right on 141 and 136,
        // testdata/metrics.json): about 0.95 agreement, < 0.99 all but surely over 200 rows.
        // The controller holds the step into 100% (where stable, and so the shadow copy, gets no
        // traffic) until the agreement has judged: at 50% shadow rows keep coming, however slowly
        // the requests arrive.
        rollout: {
          ...rollout,
          checks: { shadow_agreement: true },
          min_shadow_agreement: 0.99,
          // More rows than the first two windows bring: 50% is reached before they are.
          min_shadow_rows: 200,
        },
      }),
    ]);
    svc = await startTestService({ MODEL_REPOSITORY: repo.path, RATE_LIMIT_RPS: '100000' });
    await svc.loaded;
  }, 60_000);
  afterAll(async () => {
    await svc?.stop(5000);
    repo?.cleanup();
  });

  /**
   * Held-out rows (each feature through `degrade`) until the rollout leaves the canary state, at
   * most 45 s. The pause between requests keeps the traffic as thin as on a loaded machine: few
   * requests per window, so the rollout walks its steps before a signal has any evidence, and only
   * the hold on promotion (for shadow agreement, on the step into 100%) lets the signal decide.
   */
  async function driveUntilDecided(model: string, degrade: (x: number) => number): Promise<RolloutView> {
    const stop = Date.now() + 45_000;
    for (let i = 0; Date.now() < stop; i++) {
      await new Promise((r) => setTimeout(r, THIN_TRAFFIC_PAUSE_MS));
      const row = heldOut.inputs[i % heldOut.inputs.length].map(degrade);
      const res = await postJson(`${svc.url}/v2/models/${model}/infer`, {
        inputs: [{ name: 'input', shape: [1, 30], datatype: 'FP32', data: row }],
      });
      expect(res.status).toBe(200);
      if (i % 25 === 24) {
        const view = await getRollout(svc.url, model);
        if (view.state !== 'canary') return view;
      }
    }
    throw new Error(
      `the rollout of ${model} was not decided within 45 s: ${JSON.stringify(await getRollout(svc.url, model))}`,
    );
  }

  it.each([
    {
      signal: 'drift',
      why: 'whose inputs drift (every feature times 5)',
      model: 'bc-drift',
      degrade: (x: number) => x * 5,
      reason: /^drift: canary drift PSI \d+\.\d{4} against the threshold 0\.25$/,
      highestWeightPct: 100,
    },
    {
      signal: 'confidence_shift',
      // The degraded stream of service/test/quality-http.test.ts, which raises the shift.
      why: 'whose confidence shifts on a degraded stream (every feature times 3, plus 100)',
      model: 'bc-confidence',
      degrade: (x: number) => x * 3 + 100,
      reason: /^confidence_shift: canary confidence shift PSI \d+\.\d{4} against the threshold 0\.25$/,
      highestWeightPct: 100,
    },
    {
      signal: 'shadow_agreement',
      why: 'that disagrees with stable on the shadow copies',
      model: 'bc-shadow',
      degrade: (x: number) => x,
      reason:
        /^shadow_agreement: canary agreed with stable on \d+\/\d+ shadow rows \(0\.9\d+\), minimum 0\.99$/,
      // Never stepped into 100%, where no shadow rows would come.
      highestWeightPct: 50,
    },
  ])(
    'rolls back a canary $why, naming the $signal signal',
    async ({ model, degrade, reason, highestWeightPct }) => {
      expect((await postRollout(svc.url, model, { action: 'start', version: '2' })).status).toBe(200);
      const view = await driveUntilDecided(model, degrade);
      expect(view.state).toBe('rolled_back');
      expect(view.waiting).toBeNull();
      const last = view.history[view.history.length - 1];
      expect(last).toMatchObject({ kind: 'rollback', by: 'controller', version: '2', weightPct: 0 });
      expect(last.reason).toMatch(reason);
      expect(Math.max(...view.history.map((d) => d.weightPct))).toBeLessThanOrEqual(highestWeightPct);
    },
    60_000,
  );
});
