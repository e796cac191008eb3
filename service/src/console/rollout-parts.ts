import type { RolloutDecision, VersionRollout } from './status-document';

/** GET /v2/models/{m}/rollout, the parts the console reads (service/src/rollout/rollout-service.ts). */
export interface RolloutAnswer {
  scope: VersionRollout['scope'];
  state: VersionRollout['state'];
  paused: boolean;
  versions: { stable: string | null; canary: string | null };
  weights: { stable: number; canary: number };
  step: number | null;
  policy: { steps?: unknown };
  history: (RolloutDecision & { evidence?: unknown })[];
}

/**
 * Each version's part in its model's rollout, keyed by version. A model whose rollout was never
 * started (state stable, no decisions) has none: its traffic is the config's alone.
 */
export function rolloutParts(answer: RolloutAnswer | undefined): Map<string, VersionRollout> {
  const parts = new Map<string, VersionRollout>();
  if (!answer || (answer.state === 'stable' && answer.history.length === 0)) return parts;
  const steps = Array.isArray(answer.policy.steps)
    ? answer.policy.steps.filter((s): s is number => typeof s === 'number')
    : [];
  const history = answer.history.map(({ evidence: _evidence, ...decision }) => decision);
  for (const role of ['stable', 'canary'] as const) {
    const version = answer.versions[role];
    if (version === null) continue;
    parts.set(version, {
      role,
      scope: answer.scope,
      state: answer.state,
      paused: answer.paused,
      step: answer.step,
      steps,
      weightPct: answer.weights[role],
      history,
    });
  }
  return parts;
}
