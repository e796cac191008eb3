import * as path from 'node:path';
import type { GateResult } from './run';
import { hasMandatoryViolations, type Violation } from './evaluate';

const ORDER = ['mandatory', 'advisory'];

function resourceLabel(urn: string | undefined): string {
  if (urn === undefined) return '(stack)';
  const parts = urn.split('::');
  const type = parts[2]?.split('$').pop() ?? '';
  return `${type} ${parts[3] ?? ''}`.trim();
}

function usd(n: number | undefined): string {
  return n === undefined ? 'n/a' : `$${n.toFixed(2)}`;
}

/** Human-readable gate report: one block per violation, then the verdict. */
export function formatReport(g: GateResult, configFile?: string): string {
  const lines: string[] = [];
  const source = configFile ? path.relative(process.cwd(), configFile) : `Pulumi.${g.synth.stack}.yaml`;
  const cost = g.synth.costEstimate;
  lines.push(
    `Policy pack ${g.pack} on stack "${g.synth.stack}" (${source}, environment ${g.synth.config.environment})`,
  );
  lines.push(
    `  ${g.synth.resources.length} resources; ${g.evaluation.applied.length} policies applied` +
      (g.policyConfigFile ? `; policy config ${path.relative(process.cwd(), g.policyConfigFile)}` : ''),
  );
  lines.push(
    `  checked: ${Object.entries(g.evaluation.checked)
      .map(([name, n]) => (n > 1 ? `${name} x${n}` : name))
      .join(', ')}`,
  );
  lines.push(
    `  cost estimate: ${usd(cost.minMonthlyUsd)} at minimum, ${usd(cost.maxMonthlyUsd)} at maximum scale per month; ` +
      `budget ${usd(g.synth.config.budget?.monthlyLimitUsd)}`,
  );
  const sorted = [...g.evaluation.violations].sort(
    (a, b) =>
      ORDER.indexOf(a.enforcementLevel) - ORDER.indexOf(b.enforcementLevel) ||
      a.policyName.localeCompare(b.policyName),
  );
  for (const w of waivers(g)) lines.push(`  [config] ${w}`);
  for (const v of sorted) lines.push(formatViolation(v));
  const mandatory = sorted.filter((v) => v.enforcementLevel === 'mandatory').length;
  const advisory = sorted.length - mandatory;
  // Not PASS/FAIL: go test's closing words, which a CI reading test runners' output would take
  // for a go run that counted no test.
  lines.push(
    hasMandatoryViolations(g.evaluation)
      ? `policy gate failed: ${mandatory} mandatory and ${advisory} advisory violation(s)`
      : `policy gate passed: no mandatory violations${advisory > 0 ? ` (${advisory} advisory)` : ''}`,
  );
  return lines.join('\n');
}

/** Waivers and tuned settings stay visible in every report, waivers with the reason the config gives. */
function waivers(g: GateResult): string[] {
  return Object.entries(g.policyConfig).flatMap(([policy, entry]) => {
    if (typeof entry === 'string') return entry === 'disabled' ? [`${policy} is disabled`] : [];
    const exempt = entry.exemptResources;
    const level =
      entry.enforcementLevel && entry.enforcementLevel !== 'mandatory'
        ? [`${policy} is ${entry.enforcementLevel}`]
        : [];
    const tuned = Object.entries(entry)
      .filter(([k]) => !['enforcementLevel', 'exemptResources', 'exemptionReason'].includes(k))
      .map(([k, v]) => `${policy} ${k}=${JSON.stringify(v)}`);
    return Array.isArray(exempt) && exempt.length > 0
      ? [...level, ...tuned, `${policy} skips ${exempt.join(', ')}: ${String(entry.exemptionReason)}`]
      : [...level, ...tuned];
  });
}

function formatViolation(v: Violation): string {
  return `  [${v.enforcementLevel}] ${v.policyName} (${v.severity ?? 'n/a'}) ${resourceLabel(v.urn)}\n      ${v.message}`;
}

/** Machine-readable form for CI annotations. */
export function reportJson(g: GateResult): unknown {
  return {
    pack: g.pack,
    stack: g.synth.stack,
    environment: g.synth.config.environment,
    resources: g.synth.resources.length,
    costEstimate: {
      minMonthlyUsd: g.synth.costEstimate.minMonthlyUsd,
      maxMonthlyUsd: g.synth.costEstimate.maxMonthlyUsd,
    },
    applied: g.evaluation.applied,
    policyConfig: g.policyConfig,
    violations: g.evaluation.violations,
    passed: !hasMandatoryViolations(g.evaluation),
  };
}
