import {
  judgeWindow,
  needsStableTraffic,
  type ArmStats,
  type CanarySignals,
  type CheckName,
  type CheckResult,
  type JudgePolicy,
  type WindowReport,
} from './window';

/**
 * The rollout state machine of one model, pure: every transition takes a state and returns the next
 * one (with its decision), so the same code runs per process and against shared Redis state, where
 * a transition is only kept if its compare-and-set on `revision` wins.
 *
 *   stable ──start──► canary(step 0) ──healthy windows──► canary(step n) … ──healthy at 100%──► promoted
 *                        │ any enabled check fails (or a manual rollback)
 *                        ▼
 *                    rolled_back (weight 0)
 *
 * Promotion also needs every switched-on check to have judged on evidence at least once in the
 * rollout: until then the last step holds (see `judge`). A step where stable serves nothing (100%)
 * is not entered either until every switched-on check that needs stable traffic has judged: there it
 * never could, so the rollout holds at the step before.
 */
export type RolloutPhase = 'stable' | 'canary' | 'promoted' | 'rolled_back';

export interface RolloutPolicy extends JudgePolicy {
  /** Canary weights (%) in order; the last one is normally 100. */
  steps: number[];
  windowMs: number;
  /** Consecutive healthy windows at a step before the next one (or, at the last, promotion). */
  healthyWindows: number;
  /** Start a rollout when a new version appears in the repository. */
  autoStart: boolean;
}

/**
 * `hold`: the last step's promotion, or the step into 100%, waits for a check that has judged
 * nothing yet.
 */
export type DecisionKind = 'start' | 'step' | 'promote' | 'rollback' | 'pause' | 'resume' | 'hold';

export interface Decision {
  at: string;
  kind: DecisionKind;
  by: 'controller' | 'api';
  version: string;
  /** Canary weight after the decision. */
  weightPct: number;
  reason: string;
  evidence?: WindowReport;
}

export interface RolloutState {
  model: string;
  /** Increments per rollout started: window counts are kept per rollout. */
  id: number;
  /** Increments per write; shared writes compare-and-set on it. */
  revision: number;
  phase: RolloutPhase;
  stable: string;
  canary?: string;
  step: number;
  weightPct: number;
  paused: boolean;
  healthyWindows: number;
  /** The newest window already judged: each window is judged once, by one replica. */
  judgedWindow: number;
  /** Stable's counts over this rollout, the reference once stable gets too little traffic. */
  baseline: { requests: number; errors: number };
  lastWindow?: WindowReport;
  /**
   * The checks that have judged on evidence in this rollout. Absent from states stored before it
   * was kept: read as none, so such a rollout waits for evidence rather than promoting without it.
   */
  judgedChecks?: CheckName[];
  /**
   * Why the rollout neither promotes nor steps up (a switched-on check it needs has judged nothing
   * yet); cleared when it can go on.
   */
  waiting?: string;
  /** Newest last, at most HISTORY_LIMIT. */
  history: Decision[];
}

export const HISTORY_LIMIT = 50;

export class TransitionError extends Error {}

export function initialState(model: string, stable: string): RolloutState {
  return {
    model,
    id: 0,
    revision: 0,
    phase: 'stable',
    stable,
    step: 0,
    weightPct: 0,
    paused: false,
    healthyWindows: 0,
    judgedWindow: -1,
    baseline: { requests: 0, errors: 0 },
    history: [],
  };
}

export const windowOf = (nowMs: number, windowMs: number) => Math.floor(nowMs / windowMs);

function decide(
  state: RolloutState,
  next: Partial<RolloutState>,
  decision: Omit<Decision, 'at' | 'version' | 'weightPct'>,
  nowMs: number,
): { state: RolloutState; decision: Decision } {
  const merged = { ...state, ...next, revision: state.revision + 1 };
  const full: Decision = {
    at: new Date(nowMs).toISOString(),
    version: merged.canary ?? state.canary ?? merged.stable,
    weightPct: merged.weightPct,
    ...decision,
  };
  return { state: { ...merged, history: [...state.history, full].slice(-HISTORY_LIMIT) }, decision: full };
}

export function start(
  state: RolloutState,
  version: string,
  policy: RolloutPolicy,
  nowMs: number,
  by: Decision['by'],
): { state: RolloutState; decision: Decision } {
  if (state.phase === 'canary') {
    throw new TransitionError(
      `a rollout of version ${state.canary} is in progress; roll it back or promote it first`,
    );
  }
  if (version === state.stable) throw new TransitionError(`version ${version} is already stable`);
  return decide(
    state,
    {
      id: state.id + 1,
      phase: 'canary',
      canary: version,
      step: 0,
      weightPct: policy.steps[0],
      paused: false,
      healthyWindows: 0,
      // The window in progress mixes traffic from before the start: judging begins with the next.
      judgedWindow: windowOf(nowMs, policy.windowMs),
      baseline: { requests: 0, errors: 0 },
      lastWindow: undefined,
      judgedChecks: [],
      waiting: undefined,
    },
    { kind: 'start', by, reason: `canary ${version} against stable ${state.stable} at ${policy.steps[0]}%` },
    nowMs,
  );
}

function requireCanary(state: RolloutState, action: string): string {
  if (state.phase !== 'canary' || state.canary === undefined) {
    throw new TransitionError(`cannot ${action}: no rollout in progress (state ${state.phase})`);
  }
  return state.canary;
}

export function rollback(
  state: RolloutState,
  nowMs: number,
  by: Decision['by'],
  reason: string,
  evidence?: WindowReport,
) {
  requireCanary(state, 'roll back');
  return decide(
    state,
    { phase: 'rolled_back', weightPct: 0, paused: false, waiting: undefined },
    { kind: 'rollback', by, reason, evidence },
    nowMs,
  );
}

export function promote(
  state: RolloutState,
  nowMs: number,
  by: Decision['by'],
  reason: string,
  evidence?: WindowReport,
) {
  const canary = requireCanary(state, 'promote');
  return decide(
    state,
    { phase: 'promoted', stable: canary, canary: undefined, weightPct: 0, paused: false, waiting: undefined },
    { kind: 'promote', by, reason, evidence },
    nowMs,
  );
}

export function setPaused(state: RolloutState, paused: boolean, nowMs: number, policy: RolloutPolicy) {
  requireCanary(state, paused ? 'pause' : 'resume');
  if (state.paused === paused)
    throw new TransitionError(`the rollout is already ${paused ? 'paused' : 'running'}`);
  return decide(
    state,
    // Windows seen while paused are not judged later: resuming starts with the next full one.
    { paused, healthyWindows: 0, judgedWindow: windowOf(nowMs, policy.windowMs) },
    {
      kind: paused ? 'pause' : 'resume',
      by: 'api',
      reason: paused ? `held at ${state.weightPct}%` : `resumed at ${state.weightPct}%`,
    },
    nowMs,
  );
}

export interface Judged {
  state: RolloutState;
  decision?: Decision;
}

/**
 * Judges window `window` (already over) of a running rollout. `mayAdvance` false (per-process
 * fallback while the shared state is unreachable) lets the window roll back but never step up or
 * promote: a rollback is safe for one replica to take alone, an advance is not. `signals` feed the
 * optional checks (drift, shadow agreement) the policy switches on.
 */
export function judge(
  state: RolloutState,
  window: number,
  stable: ArmStats,
  canary: ArmStats,
  policy: RolloutPolicy,
  nowMs: number,
  mayAdvance = true,
  signals: CanarySignals = {},
): Judged | undefined {
  if (state.phase !== 'canary' || state.paused || window <= state.judgedWindow) return undefined;
  const report = judgeWindow(window, stable, canary, state.baseline, policy, signals);
  const baseline = {
    requests: state.baseline.requests + stable.requests,
    errors: state.baseline.errors + stable.errors,
  };
  const judgedChecks = [
    ...new Set([...(state.judgedChecks ?? []), ...report.checks.filter((c) => c.judged).map((c) => c.check)]),
  ];
  const last = state.step >= policy.steps.length - 1;
  const nextWeightPct = last ? undefined : policy.steps[state.step + 1];
  const lacking = lackingBefore(nextWeightPct, report, judgedChecks);
  // An insufficient window runs no check: it leaves what the rollout waits for as it was.
  const base = {
    ...state,
    judgedWindow: window,
    baseline,
    lastWindow: report,
    judgedChecks,
    waiting: report.verdict !== 'insufficient' && lacking.length === 0 ? undefined : state.waiting,
  };
  if (report.verdict === 'unhealthy') {
    const failed = report.checks.filter((c) => !c.passed).map((c) => `${c.check}: ${c.detail}`);
    return rollback(base, nowMs, 'controller', failed.join('; '), report);
  }
  if (report.verdict === 'insufficient' || !mayAdvance) {
    return { state: { ...base, revision: state.revision + 1 } };
  }
  const healthy = state.healthyWindows + 1;
  if (healthy < policy.healthyWindows) {
    return { state: { ...base, healthyWindows: healthy, revision: state.revision + 1 } };
  }
  if (lacking.length > 0) return hold(state, base, lacking, nextWeightPct, report, nowMs);
  const reason = `${healthy} healthy window(s) at ${state.weightPct}%`;
  if (last) return promote(base, nowMs, 'controller', reason, report);
  const step = state.step + 1;
  return decide(
    base,
    { step, weightPct: policy.steps[step], healthyWindows: 0 },
    { kind: 'step', by: 'controller', reason, evidence: report },
    nowMs,
  );
}

/** Canary weight (%) at which stable serves nothing, so no shadow copy of its traffic exists. */
const STABLE_SERVES_NOTHING = 100;

/**
 * The switched-on checks that have never judged in this rollout and keep it where it is: before
 * promotion (`nextWeightPct` undefined) every one; before a step where stable serves nothing, those
 * whose evidence needs stable traffic (window.ts), which they could never gather there.
 */
function lackingBefore(
  nextWeightPct: number | undefined,
  report: WindowReport,
  judgedChecks: CheckName[],
): CheckResult[] {
  const unjudged = report.checks.filter((c) => !judgedChecks.includes(c.check));
  if (nextWeightPct === undefined) return unjudged;
  return nextWeightPct >= STABLE_SERVES_NOTHING ? unjudged.filter((c) => needsStableTraffic(c.check)) : [];
}

/**
 * A healthy window that would promote, or step into 100%, while a check that must judge first never
 * has in this rollout: held like an insufficient one, with the reason in `waiting` (and once in the
 * history, when the hold begins) so an operator sees what is missing and may promote or roll back
 * by hand.
 *
 * Evidence counts once per rollout, not per window: the signals are not per window anyway (shadow
 * rows are counted since the process started, PSI scores are those of the last closed window), and
 * at 100% stable serves nothing, so no new shadow rows are compared there: that is why a shadowed
 * canary is held below 100% until its agreement has judged. A check that judged keeps judging every
 * window, so a later bad reading still rolls the canary back.
 */
function hold(
  state: RolloutState,
  base: RolloutState,
  lacking: CheckResult[],
  nextWeightPct: number | undefined,
  report: WindowReport,
  nowMs: number,
): Judged {
  const missing = lacking.map((c) => `${c.check} (${c.detail})`).join(', ');
  const waiting =
    nextWeightPct === undefined
      ? `promotion held: no evidence yet from ${missing}; ` +
        'it promotes after a healthy window once every switched-on check has judged, or by hand'
      : `step to ${nextWeightPct}% held at ${state.weightPct}%: no evidence yet from ${missing}, ` +
        'which needs stable traffic and gets none once stable serves nothing; it steps up after a ' +
        'healthy window once that check has judged; promote or roll back by hand to go on without it';
  if (state.waiting !== undefined) return { state: { ...base, waiting, revision: state.revision + 1 } };
  return decide(
    base,
    { waiting },
    { kind: 'hold', by: 'controller', reason: waiting, evidence: report },
    nowMs,
  );
}
