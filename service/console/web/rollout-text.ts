import type { RolloutDecision, VersionRollout } from '../../src/console/status-document';

const STATE: Record<VersionRollout['state'], string> = {
  stable: 'stable',
  canary: 'canary',
  promoted: 'promoted',
  rolled_back: 'rolled back',
};

export function decisionText(d: RolloutDecision): string {
  return `${d.kind} of v${d.version} at ${+d.weightPct.toFixed(2)} % (${d.by}): ${d.reason}`;
}

/** The rollout cell: state, this version's weight and step, then the last decision and its reason. */
export function rolloutText(r: VersionRollout | null): string {
  if (!r) return 'none';
  const step = r.step === null ? '' : `, step ${r.step + 1} of ${r.steps.length}`;
  const paused = r.paused ? ', paused' : '';
  const last = r.history[r.history.length - 1];
  return `${STATE[r.state]}${paused}: ${r.role} ${+r.weightPct.toFixed(2)} %${step}${last ? `; last: ${decisionText(last)}` : ''}`;
}
