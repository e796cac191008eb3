import {
  TransitionError,
  initialState,
  judge,
  promote,
  rollback,
  setPaused,
  start,
  type RolloutPolicy,
  type RolloutState,
} from '../src/rollout/controller';
import {
  errorRatioNonInferiority,
  normalCdf,
  normalQuantile,
  samplesPerArm,
  twoProportionZTest,
  wilsonInterval,
} from '../src/rollout/statistics';
import { rolloutPolicyOf } from '../src/rollout/policy';
import { ModelConfigSchema } from '../src/repository/model-config';
import {
  addSample,
  emptyArm,
  judgeWindow,
  p99Ms,
  type ArmStats,
  type CanarySignals,
} from '../src/rollout/window';

const policy: RolloutPolicy = {
  steps: [10, 50, 100],
  windowMs: 1000,
  minRequests: 20,
  healthyWindows: 2,
  errorMargin: 0.02,
  alpha: 0.05,
  checks: { errorRatio: true, latency: true, drift: false, confidenceShift: false, shadowAgreement: false },
  p99LatencyMs: 50,
  minShadowAgreement: 0.95,
  minShadowRows: 100,
  autoStart: false,
};

function arm(requests: number, errors: number, ms = 5): ArmStats {
  const a = emptyArm();
  for (let i = 0; i < requests; i++) addSample(a, ms, i < errors);
  return a;
}

describe('rollout statistics', () => {
  it('computes the normal CDF and its inverse to published values', () => {
    expect(normalCdf(0)).toBeCloseTo(0.5, 7);
    expect(normalCdf(1.959964)).toBeCloseTo(0.975, 6);
    expect(normalCdf(-1.644854)).toBeCloseTo(0.05, 6);
    expect(normalQuantile(0.975)).toBeCloseTo(1.959964, 5);
    expect(normalQuantile(0.01)).toBeCloseTo(-2.326348, 5);
    expect(() => normalQuantile(1)).toThrow(RangeError);
  });

  it('finds a failing canary worse than stable, and a clean one not worse, even with zero errors', () => {
    const bad = errorRatioNonInferiority({ k: 10, n: 20 }, { k: 0, n: 180 }, 0.02, 0.05);
    expect(bad.worse).toBe(true);
    expect(bad.difference).toBeCloseTo(0.5);
    const clean = errorRatioNonInferiority({ k: 0, n: 20 }, { k: 0, n: 180 }, 0.02, 0.05);
    expect(clean.worse).toBe(false);
    expect(Number.isFinite(clean.z)).toBe(true);
    // One error in 20 against a clean stable is noise at this sample size, not evidence.
    expect(errorRatioNonInferiority({ k: 1, n: 20 }, { k: 0, n: 180 }, 0.02, 0.05).worse).toBe(false);
  });

  it('gives the pooled two-proportion z-test, Wilson intervals and sample sizes of the textbook', () => {
    // 60/100 vs 40/100: pooled p 0.5, se 0.0707, z 2.83, two-sided p 0.0047.
    const t = twoProportionZTest({ k: 60, n: 100 }, { k: 40, n: 100 });
    expect(t.z).toBeCloseTo(2.828, 2);
    expect(t.pValue).toBeCloseTo(0.0047, 3);
    expect(t.significant).toBe(true);
    expect(twoProportionZTest({ k: 50, n: 100 }, { k: 50, n: 100 }).significant).toBe(false);
    const [lo, hi] = wilsonInterval({ k: 50, n: 100 });
    expect(lo).toBeCloseTo(0.4038, 3);
    expect(hi).toBeCloseTo(0.5962, 3);
    // 0.5 vs 0.6 at alpha 0.05, power 0.8: about 387 per arm.
    expect(samplesPerArm(0.5, 0.6)).toBeGreaterThanOrEqual(385);
    expect(samplesPerArm(0.5, 0.6)).toBeLessThanOrEqual(390);
    expect(samplesPerArm(0.5, 0.5)).toBe(Infinity);
  });
});

describe('judging a window', () => {
  const none = { requests: 0, errors: 0 };

  it('does not judge a window with too few canary requests', () => {
    expect(judgeWindow(1, arm(200, 0), arm(19, 19), none, policy).verdict).toBe('insufficient');
  });

  it('fails a canary slower than the SLA, and passes one whose p99 bucket may be within it', () => {
    const slow = judgeWindow(1, arm(200, 0), arm(40, 0, 80), none, policy);
    expect(slow.verdict).toBe('unhealthy');
    expect(slow.checks.find((c) => c.check === 'latency')?.passed).toBe(false);
    expect(p99Ms(arm(40, 0, 80))).toBe(100);
    // 45 ms lies in the (35, 50] bucket: not provably above an SLA of 50.
    expect(judgeWindow(1, arm(200, 0), arm(40, 0, 45), none, policy).verdict).toBe('healthy');
    expect(
      judgeWindow(1, arm(200, 0), arm(40, 0, 80), none, {
        ...policy,
        checks: { ...policy.checks, latency: false },
      }).verdict,
    ).toBe('healthy');
  });

  it('compares against the rollout baseline when stable has too little traffic (at 100%)', () => {
    const report = judgeWindow(1, emptyArm(), arm(40, 20), { requests: 1000, errors: 0 }, policy);
    expect(report.verdict).toBe('unhealthy');
    expect(report.checks[0].detail).toContain('stable 0/1000');
  });
});

describe('the optional signals of a window', () => {
  const none = { requests: 0, errors: 0 };
  const withShadow = { ...policy, checks: { ...policy.checks, shadowAgreement: true } };
  const judged = (p: typeof policy, signals: Parameters<typeof judgeWindow>[5]) =>
    judgeWindow(1, arm(200, 0), arm(40, 0), none, p, signals);
  const check = (r: ReturnType<typeof judgeWindow>, name: string) => r.checks.find((c) => c.check === name);

  /** The two PSI signals, judged alike: each by its own flag, threshold and reading. */
  const PSI_SIGNALS = [
    {
      name: 'drift',
      label: 'drift',
      on: (p: RolloutPolicy, t?: number) => ({
        ...p,
        checks: { ...p.checks, drift: true },
        driftThreshold: t,
      }),
      signal: (score: number): CanarySignals => ({ driftScore: score }),
      noScore: /^no complete drift window of the canary's inputs yet \(threshold PSI 0\.25\)$/,
    },
    {
      name: 'confidence_shift',
      label: 'confidence shift',
      on: (p: RolloutPolicy, t?: number) => ({
        ...p,
        checks: { ...p.checks, confidenceShift: true },
        confidenceShiftThreshold: t,
      }),
      signal: (score: number): CanarySignals => ({ confidenceShift: score }),
      noScore: /^no complete quality window of the canary's answers yet \(threshold PSI 0\.25\)$/,
    },
  ];

  it.each(PSI_SIGNALS)(
    'fails a canary whose $label PSI is above the threshold, passes one at or below it or with no score yet',
    ({ name, label, on, signal, noScore }) => {
      const switchedOn = on(policy, 0.25);
      const above = judged(switchedOn, signal(0.2501));
      expect(above.verdict).toBe('unhealthy');
      expect(check(above, name)).toMatchObject({
        passed: false,
        judged: true,
        detail: `canary ${label} PSI 0.2501 against the threshold 0.25`,
      });
      expect(judged(switchedOn, signal(0.25)).verdict).toBe('healthy');
      expect(judged(switchedOn, signal(0.02)).verdict).toBe('healthy');
      // No closed window yet is no evidence either way, and the report says so.
      expect(check(judged(switchedOn, {}), name)).toMatchObject({
        passed: true,
        judged: false,
        detail: noScore,
      });
    },
  );

  it.each(PSI_SIGNALS)(
    'ignores the $label score unless its check is on (and has a threshold)',
    ({ name, on, signal }) => {
      expect(judged(policy, signal(9)).verdict).toBe('healthy');
      expect(check(judged(policy, signal(9)), name)).toBeUndefined();
      expect(judged(on(policy, undefined), signal(9)).verdict).toBe('healthy');
    },
  );

  it('judges each PSI signal by its own check only', () => {
    const [drift, shift] = PSI_SIGNALS;
    expect(judged(drift.on(policy, 0.25), shift.signal(9)).verdict).toBe('healthy');
    expect(judged(shift.on(policy, 0.25), drift.signal(9)).verdict).toBe('healthy');
  });

  it('fails a canary that agrees with stable on too few shadow rows, once enough were compared', () => {
    const low = judged(withShadow, { shadow: { rows: 200, agreed: 189 } });
    expect(low.verdict).toBe('unhealthy');
    expect(check(low, 'shadow_agreement')).toMatchObject({
      passed: false,
      judged: true,
      detail: 'canary agreed with stable on 189/200 shadow rows (0.9450), minimum 0.95',
    });
    expect(judged(withShadow, { shadow: { rows: 200, agreed: 190 } }).verdict).toBe('healthy');
    // 50% agreement on 99 rows is not judged yet: the minimum is 100 compared rows.
    const early = judged(withShadow, { shadow: { rows: 99, agreed: 50 } });
    expect(early.verdict).toBe('healthy');
    expect(check(early, 'shadow_agreement')).toMatchObject({
      judged: false,
      detail: /99 shadow row\(s\) compared, 100 needed/,
    });
    expect(check(judged(withShadow, {}), 'shadow_agreement')).toMatchObject({
      passed: true,
      judged: false,
      detail: /not the shadow version/,
    });
    expect(judged(policy, { shadow: { rows: 200, agreed: 0 } }).verdict).toBe('healthy');
  });

  it('rolls back naming the signal that failed', () => {
    const s = start(initialState('m', '1'), '2', withShadow, 1000, 'api').state;
    const judgedState = judge(s, 2, arm(200, 0), arm(40, 0), withShadow, 3000, true, {
      shadow: { rows: 300, agreed: 240 },
    })!;
    expect(judgedState.state.phase).toBe('rolled_back');
    expect(judgedState.decision?.reason).toMatch(/^shadow_agreement: canary agreed with stable on 240\/300/);
  });
});

describe('rollout controller', () => {
  const t0 = 1_000_000;
  const started = (): RolloutState => start(initialState('m', '1'), '2', policy, t0, 'api').state;

  it('walks every step after the configured healthy windows and promotes at 100%', () => {
    let s = started();
    expect(s).toMatchObject({ phase: 'canary', canary: '2', weightPct: 10, judgedWindow: 1000 });
    const weights: number[] = [];
    let w = 1001;
    while (s.phase === 'canary') {
      const judged = judge(s, w, arm(200, 0), arm(40, 0), policy, t0 + w, true)!;
      s = judged.state;
      weights.push(s.weightPct);
      w++;
    }
    // Two healthy windows per step: 10 10 50 50 100 then promoted.
    expect(weights).toEqual([10, 50, 50, 100, 100, 0]);
    expect(s).toMatchObject({ phase: 'promoted', stable: '2', canary: undefined });
    expect(s.history.map((d) => d.kind)).toEqual(['start', 'step', 'step', 'promote']);
    expect(s.revision).toBe(7);
  });

  it('rolls back on a failing window with the evidence, and judges each window once', () => {
    const s = started();
    const judged = judge(s, 1001, arm(200, 0), arm(40, 20), policy, t0 + 1, true)!;
    expect(judged.state).toMatchObject({ phase: 'rolled_back', weightPct: 0, stable: '1', canary: '2' });
    expect(judged.decision).toMatchObject({ kind: 'rollback', by: 'controller', version: '2' });
    expect(judged.decision!.reason).toMatch(/^error_ratio: canary 20\/40 vs stable 0\/200/);
    expect(judged.decision!.evidence?.canary.errors).toBe(20);
    expect(judge(judged.state, 1002, arm(1, 0), arm(40, 0), policy, t0, true)).toBeUndefined();
    expect(judge(s, 1000, arm(200, 0), arm(40, 20), policy, t0, true)).toBeUndefined();
  });

  it('per process (mayAdvance false) still rolls back but never steps up', () => {
    let s = started();
    for (let w = 1001; w < 1010; w++) s = judge(s, w, arm(200, 0), arm(40, 0), policy, t0, false)!.state;
    expect(s).toMatchObject({ phase: 'canary', weightPct: 10, judgedWindow: 1009 });
    expect(judge(s, 1010, arm(200, 0), arm(40, 30), policy, t0, false)!.state.phase).toBe('rolled_back');
  });

  it('holds while paused and refuses transitions that make no sense', () => {
    const paused = setPaused(started(), true, t0 + 5000, policy).state;
    expect(judge(paused, 1010, arm(200, 0), arm(40, 40), policy, t0, true)).toBeUndefined();
    const resumed = setPaused(paused, false, t0 + 7000, policy).state;
    expect(resumed.judgedWindow).toBe(1007);
    expect(() => setPaused(resumed, false, t0, policy)).toThrow(TransitionError);
    expect(() => start(resumed, '3', policy, t0, 'api')).toThrow(/in progress/);
    expect(() => start(initialState('m', '1'), '1', policy, t0, 'api')).toThrow(/already stable/);
    expect(() => promote(initialState('m', '1'), t0, 'api', 'x')).toThrow(/no rollout in progress/);
    const back = rollback(resumed, t0, 'api', 'by hand').state;
    // A rolled-back version can be tried again as a new rollout with fresh counts.
    expect(start(back, '2', policy, t0, 'api').state).toMatchObject({
      id: 2,
      phase: 'canary',
      weightPct: 10,
    });
  });
});

describe('the rollout and sla config blocks', () => {
  const parse = (extra: Record<string, unknown>) =>
    ModelConfigSchema.safeParse({ name: 'm', max_batch_size: 1, ...extra });

  it('fills the defaults that meet the 30 s target, and reads the SLA', () => {
    const cfg = parse({ rollout: {}, sla: { p99_latency_ms: 50 } });
    expect(cfg.success).toBe(true);
    expect(rolloutPolicyOf(cfg.data!)).toMatchObject({
      steps: [10, 25, 50, 100],
      windowMs: 10_000,
      minRequests: 20,
      healthyWindows: 1,
      p99LatencyMs: 50,
      autoStart: false,
    });
    // A model with no rollout block still gets the defaults (a rollout started by API), no SLA check.
    expect(rolloutPolicyOf(parse({}).data!)).toMatchObject({
      steps: [10, 25, 50, 100],
      p99LatencyMs: undefined,
    });
  });

  it('switches the optional signals on only when asked, with the drift threshold from the drift block', () => {
    const off = rolloutPolicyOf(parse({ rollout: {}, drift: {} }).data!);
    expect(off).toMatchObject({
      checks: {
        errorRatio: true,
        latency: true,
        drift: false,
        confidenceShift: false,
        shadowAgreement: false,
      },
      driftThreshold: 0.25,
      minShadowAgreement: 0.95,
      minShadowRows: 100,
    });
    const on = parse({
      drift: { psi_threshold: 0.4 },
      traffic: { shadow: { version: '2', sample_pct: 100 } },
      rollout: { checks: { drift: true, shadow_agreement: true }, min_shadow_agreement: 0.99 },
    });
    expect(on.success).toBe(true);
    expect(rolloutPolicyOf(on.data!)).toMatchObject({
      checks: { drift: true, shadowAgreement: true },
      driftThreshold: 0.4,
      minShadowAgreement: 0.99,
    });
    const own = parse({ drift: {}, rollout: { checks: { drift: true }, drift_psi_threshold: 0.1 } });
    expect(rolloutPolicyOf(own.data!).driftThreshold).toBe(0.1);
  });

  it('takes the confidence shift threshold from the quality block unless the rollout sets its own', () => {
    const quality = { scores_output: 'probabilities', shift_threshold: 0.3 };
    const inherited = parse({ quality, rollout: { checks: { confidence_shift: true } } });
    expect(inherited.success).toBe(true);
    expect(rolloutPolicyOf(inherited.data!)).toMatchObject({
      checks: { confidenceShift: true },
      confidenceShiftThreshold: 0.3,
    });
    const own = parse({
      quality,
      rollout: { checks: { confidence_shift: true }, confidence_shift_threshold: 0.1 },
    });
    expect(rolloutPolicyOf(own.data!).confidenceShiftThreshold).toBe(0.1);
    expect(rolloutPolicyOf(parse({ quality, rollout: {} }).data!).checks.confidenceShift).toBe(false);
  });

  it('rejects bad blocks naming the field', () => {
    const bad: [Record<string, unknown>, string, RegExp][] = [
      [{ rollout: { steps: [50, 10] } }, 'rollout.steps', /steps must increase/],
      [{ rollout: { steps: [] } }, 'rollout.steps', /.+/],
      [{ rollout: { window_seconds: 0 } }, 'rollout.window_seconds', /.+/],
      [{ rollout: { checks: { confidence: true } } }, 'rollout.checks', /confidence/],
      [{ rollout: { checks: { drift: true } } }, 'rollout.checks.drift', /needs a drift block/],
      [
        { rollout: { checks: { confidence_shift: true } } },
        'rollout.checks.confidence_shift',
        /needs a quality block/,
      ],
      [{ rollout: { confidence_shift_threshold: -1 } }, 'rollout.confidence_shift_threshold', /.+/],
      [
        { rollout: { checks: { shadow_agreement: true } } },
        'rollout.checks.shadow_agreement',
        /needs traffic.shadow/,
      ],
      [
        {
          traffic: { shadow: { version: '2', sample_pct: 100 } },
          rollout: { steps: [100], checks: { shadow_agreement: true } },
        },
        'rollout.steps',
        /first step below 100: at 100 stable serves nothing to shadow/,
      ],
      [{ rollout: { min_shadow_agreement: 1.5 } }, 'rollout.min_shadow_agreement', /share between 0 and 1/],
      [{ rollout: { min_shadow_rows: 0 } }, 'rollout.min_shadow_rows', /.+/],
      [{ rollout: { drift_psi_threshold: 0 } }, 'rollout.drift_psi_threshold', /.+/],
      [{ sla: { p99_latency_ms: -1 } }, 'sla.p99_latency_ms', /.+/],
    ];
    for (const [extra, path, message] of bad) {
      const r = parse(extra);
      expect(r.success).toBe(false);
      const issue = r.error!.issues[0];
      expect([issue.path.join('.'), issue.message]).toEqual([path, expect.stringMatching(message)]);
    }
  });
});

describe('promotion waits for evidence from every switched-on check', () => {
  const t0 = 1_000_000;
  const once = { ...policy, healthyWindows: 1 };
  /** The optional checks, each switched on with the readings that judge it healthy. */
  const SWITCHED_ON = [
    {
      check: 'shadow_agreement',
      policy: { ...once, checks: { ...once.checks, shadowAgreement: true } },
      evidence: { shadow: { rows: 200, agreed: 200 } },
      // The shadowed canary with too few rows compared, and the canary not shadowed at all.
      none: [{ shadow: { rows: 12, agreed: 12 } }, {}],
      lacking:
        /shadow_agreement \((12 shadow row\(s\) compared, 100 needed before the agreement is judged|the canary is not the shadow version: nothing compared)\)/,
      // Its rows are shadow copies of stable's requests, which stop at 100%: held below it.
      held: { weightPct: 50, kinds: ['start', 'step', 'hold'], waiting: /^step to 100% held at 50%/ },
    },
    {
      check: 'drift',
      policy: { ...once, checks: { ...once.checks, drift: true }, driftThreshold: 0.25 },
      evidence: { driftScore: 0.01 },
      none: [{}],
      lacking: /drift \(no complete drift window of the canary's inputs yet/,
      held: { weightPct: 100, kinds: ['start', 'step', 'step', 'hold'], waiting: /^promotion held/ },
    },
    {
      check: 'confidence_shift',
      policy: {
        ...once,
        checks: { ...once.checks, confidenceShift: true },
        confidenceShiftThreshold: 0.25,
      },
      evidence: { confidenceShift: 0.01 },
      none: [{}],
      lacking: /confidence_shift \(no complete quality window of the canary's answers yet/,
      // The PSI checks read the canary's own traffic: they step into 100% and hold only promotion.
      held: { weightPct: 100, kinds: ['start', 'step', 'step', 'hold'], waiting: /^promotion held/ },
    },
  ] satisfies {
    check: string;
    policy: RolloutPolicy;
    evidence: CanarySignals;
    none: CanarySignals[];
    lacking: RegExp;
    held: { weightPct: number; kinds: string[]; waiting: RegExp };
  }[];

  /** Judges one healthy window per entry of `signals` (with `canary` counts), until the rollout is decided. */
  function walk(
    s: RolloutState,
    p: RolloutPolicy,
    signals: CanarySignals[],
    canary = arm(40, 0),
  ): RolloutState {
    for (const [i, sig] of signals.entries()) {
      if (s.phase !== 'canary') break;
      s = judge(s, s.judgedWindow + 1, arm(200, 0), canary, p, t0 + i, true, sig)!.state;
    }
    return s;
  }

  it.each(SWITCHED_ON)(
    'holds at $held.weightPct% while $check has judged nothing, and says why',
    ({ policy: p, none, lacking, held }) => {
      for (const nothing of none) {
        const s = walk(start(initialState('m', '1'), '2', p, t0, 'api').state, p, Array(8).fill(nothing));
        expect(s).toMatchObject({ phase: 'canary', weightPct: held.weightPct, healthyWindows: 0 });
        expect(s.waiting).toMatch(held.waiting);
        expect(s.waiting).toMatch(lacking);
        // One hold decision when the hold begins, not one per window.
        expect(s.history.map((d) => d.kind)).toEqual(held.kinds);
        const hold = s.history[s.history.length - 1];
        expect(hold).toMatchObject({ by: 'controller', version: '2', weightPct: held.weightPct });
        expect(hold.reason).toBe(s.waiting);
        // The operator may promote it by hand.
        expect(promote(s, t0, 'api', 'by hand').state).toMatchObject({ phase: 'promoted', stable: '2' });
      }
    },
  );

  it.each(SWITCHED_ON)(
    'promotes once $check has judged the canary healthy at least once in the rollout',
    ({ policy: p, evidence, none }) => {
      // Evidence at 10% only: at 100% stable serves nothing, so a shadowed canary gets no more rows.
      const s = walk(start(initialState('m', '1'), '2', p, t0, 'api').state, p, [evidence, none[0], none[0]]);
      expect(s).toMatchObject({ phase: 'promoted', stable: '2' });
      expect(s.history.map((d) => d.kind)).toEqual(['start', 'step', 'step', 'promote']);
      expect(s.waiting).toBeUndefined();
    },
  );

  it.each(SWITCHED_ON)(
    'promotes a held canary once $check judges it healthy, and rolls back one it judges unhealthy',
    ({ policy: p, evidence, none, held: at }) => {
      const held = walk(start(initialState('m', '1'), '2', p, t0, 'api').state, p, [
        none[0],
        none[0],
        none[0],
      ]);
      expect(held).toMatchObject({
        phase: 'canary',
        weightPct: at.weightPct,
        waiting: expect.stringMatching(at.waiting),
      });
      // Still waiting through a window it may not advance on (per process) or cannot judge.
      const perProcess = judge(held, held.judgedWindow + 1, arm(200, 0), arm(40, 0), p, t0, false, none[0]);
      const thin = judge(held, held.judgedWindow + 1, arm(200, 0), arm(1, 0), p, t0, true, evidence);
      for (const s of [perProcess!.state, thin!.state]) expect(s.waiting).toBe(held.waiting);
      // Held below 100% it steps up first, then promotes on a window without new rows.
      expect(walk(held, p, [evidence, none[0]])).toMatchObject({ phase: 'promoted', waiting: undefined });
      const bad: CanarySignals = { driftScore: 9, confidenceShift: 9, shadow: { rows: 200, agreed: 0 } };
      expect(walk(held, p, [bad])).toMatchObject({ phase: 'rolled_back', waiting: undefined });
    },
  );

  it('forgets the evidence of an earlier rollout', () => {
    const [shadow] = SWITCHED_ON;
    const p = shadow.policy;
    const first = walk(start(initialState('m', '1'), '2', p, t0, 'api').state, p, [shadow.evidence]);
    const again = start(rollback(first, t0, 'api', 'by hand').state, '2', p, t0, 'api').state;
    expect(walk(again, p, [{}, {}, {}])).toMatchObject({ phase: 'canary', weightPct: 50 });
  });

  it('reads a state stored before the evidence was kept as one whose checks judged nothing yet', () => {
    const [shadow] = SWITCHED_ON;
    const p = shadow.policy;
    const atLast = walk(start(initialState('m', '1'), '2', p, t0, 'api').state, p, [shadow.evidence, {}]);
    expect(atLast).toMatchObject({ phase: 'canary', weightPct: 100 });
    const stored = JSON.parse(JSON.stringify(atLast)) as Record<string, unknown>;
    delete stored.judgedChecks;
    const old = stored as unknown as RolloutState;
    expect(walk(old, p, [{}])).toMatchObject({ phase: 'canary', weightPct: 100 });
    expect(walk(old, p, [shadow.evidence])).toMatchObject({ phase: 'promoted' });
  });

  it('promotes as before when only the error ratio and latency checks are on', () => {
    const s = walk(start(initialState('m', '1'), '2', once, t0, 'api').state, once, [{}, {}, {}]);
    expect(s.phase).toBe('promoted');
  });
});

describe('a check that needs stable traffic holds the step into 100%', () => {
  const t0 = 1_000_000;
  const shadowed: RolloutPolicy = {
    ...policy,
    healthyWindows: 1,
    checks: { ...policy.checks, shadowAgreement: true },
  };
  const few: CanarySignals = { shadow: { rows: 12, agreed: 12 } };
  const enough: CanarySignals = { shadow: { rows: 200, agreed: 200 } };

  /** Judges one window per entry: the canary's (requests, errors) and the signals read with it. */
  function walk(s: RolloutState, p: RolloutPolicy, windows: [ArmStats, CanarySignals][]): RolloutState {
    for (const [canary, signals] of windows) {
      s = judge(s, s.judgedWindow + 1, arm(200, 0), canary, p, t0, true, signals)!.state;
    }
    return s;
  }
  const healthy = (signals: CanarySignals, n = 1) =>
    Array.from({ length: n }, (): [ArmStats, CanarySignals] => [arm(40, 0), signals]);
  const begin = (p: RolloutPolicy) => start(initialState('m', '1'), '2', p, t0, 'api').state;
  const heldAt50 = () => walk(begin(shadowed), shadowed, healthy(few, 5));

  it('holds at 50% of [10, 50, 100] with waiting naming the check and one hold entry', () => {
    const s = heldAt50();
    expect(s).toMatchObject({ phase: 'canary', step: 1, weightPct: 50, healthyWindows: 0 });
    expect(s.waiting).toBe(
      'step to 100% held at 50%: no evidence yet from shadow_agreement (12 shadow row(s) compared, ' +
        '100 needed before the agreement is judged), which needs stable traffic and gets none once ' +
        'stable serves nothing; it steps up after a healthy window once that check has judged; ' +
        'promote or roll back by hand to go on without it',
    );
    expect(s.history.map((d) => [d.kind, d.weightPct])).toEqual([
      ['start', 10],
      ['step', 50],
      ['hold', 50],
    ]);
    expect(s.history[2]).toMatchObject({ by: 'controller', reason: s.waiting });
    // With two healthy windows per step the hold begins on the second, as a step would.
    const twice = { ...shadowed, healthyWindows: 2 };
    const slow = walk(begin(twice), twice, healthy(few, 3));
    expect(slow).toMatchObject({ weightPct: 50, healthyWindows: 1, waiting: undefined });
    expect(walk(slow, twice, healthy(few)).history.map((d) => d.kind)).toEqual(['start', 'step', 'hold']);
  });

  it('steps into 100% once shadow agreement has judged, and promotes there without new rows', () => {
    const stepped = walk(heldAt50(), shadowed, healthy(enough));
    expect(stepped).toMatchObject({ phase: 'canary', weightPct: 100, waiting: undefined });
    expect(stepped.history.map((d) => d.kind)).toEqual(['start', 'step', 'hold', 'step']);
    expect(walk(stepped, shadowed, healthy({}))).toMatchObject({ phase: 'promoted', stable: '2' });
    // Judged before the hold would have begun: no hold at all.
    const early = walk(begin(shadowed), shadowed, [...healthy(enough), ...healthy(few, 2)]);
    expect(early.history.map((d) => d.kind)).toEqual(['start', 'step', 'step', 'promote']);
  });

  it('lets drift, which reads the canary traffic, step into 100% unjudged and hold only promotion', () => {
    const drift: RolloutPolicy = {
      ...shadowed,
      checks: { ...policy.checks, drift: true },
      driftThreshold: 0.25,
    };
    const s = walk(begin(drift), drift, healthy({}, 5));
    expect(s).toMatchObject({ weightPct: 100, waiting: expect.stringMatching(/^promotion held/) });
    expect(s.history.map((d) => d.kind)).toEqual(['start', 'step', 'step', 'hold']);
    // With both on, the shadow hold ends when shadow judges; the drift hold begins anew at 100%.
    const both: RolloutPolicy = { ...drift, checks: { ...drift.checks, shadowAgreement: true } };
    const held = walk(begin(both), both, healthy(few, 3));
    expect(held.waiting).toMatch(/^step to 100% held at 50%: no evidence yet from shadow_agreement \(/);
    expect(held.waiting).not.toMatch(/drift/);
    const atLast = walk(held, both, healthy(enough, 2));
    expect(atLast).toMatchObject({
      weightPct: 100,
      waiting: expect.stringMatching(/^promotion held.*drift/),
    });
    expect(atLast.history.map((d) => d.kind)).toEqual(['start', 'step', 'hold', 'step', 'hold']);
  });

  it('rolls back at once on an unhealthy window during the hold, and still obeys the operator', () => {
    const s = heldAt50();
    const failed = judge(s, s.judgedWindow + 1, arm(200, 0), arm(40, 20), shadowed, t0, true, few)!;
    expect(failed.state).toMatchObject({ phase: 'rolled_back', weightPct: 0, waiting: undefined });
    expect(failed.decision).toMatchObject({ kind: 'rollback', by: 'controller' });
    expect(failed.decision!.reason).toMatch(/^error_ratio: canary 20\/40/);
    expect(rollback(s, t0, 'api', 'by hand').state).toMatchObject({
      phase: 'rolled_back',
      waiting: undefined,
    });
    expect(promote(s, t0, 'api', 'by hand').state).toMatchObject({ phase: 'promoted', waiting: undefined });
    // Paused, the hold's reason stays; resumed, the hold goes on without a second entry.
    const paused = setPaused(s, true, t0, shadowed).state;
    expect(paused.waiting).toBe(s.waiting);
    const resumed = walk(setPaused(paused, false, t0, shadowed).state, shadowed, healthy(few, 2));
    expect(resumed).toMatchObject({ weightPct: 50, waiting: s.waiting });
    expect(resumed.history.filter((d) => d.kind === 'hold')).toHaveLength(1);
  });

  it('holds a promotion, not a step, when the last step is below 100%', () => {
    const below = { ...shadowed, steps: [10, 50] };
    const s = walk(begin(below), below, healthy(few, 3));
    expect(s).toMatchObject({ weightPct: 50, waiting: expect.stringMatching(/^promotion held/) });
  });

  it('holds a state stored before the evidence was kept, as one whose checks judged nothing yet', () => {
    const at10 = JSON.parse(JSON.stringify(begin(shadowed))) as Record<string, unknown>;
    delete at10.judgedChecks;
    delete at10.waiting;
    const old = at10 as unknown as RolloutState;
    expect(walk(old, shadowed, healthy(few, 3))).toMatchObject({
      weightPct: 50,
      waiting: expect.any(String),
    });
    expect(walk(old, shadowed, [...healthy(few), ...healthy(enough)])).toMatchObject({ weightPct: 100 });
  });
});
