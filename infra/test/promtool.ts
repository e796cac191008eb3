import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { stringify } from 'yaml';

export const PROMTOOL = process.env.PROMTOOL ?? '/usr/bin/promtool';
export const hasPromtool = fs.existsSync(PROMTOOL);
if (!hasPromtool)
  console.warn(`promtool tests skipped: ${PROMTOOL} not found (install the Debian "prometheus" package)`);

export interface PromtoolResult {
  status: number | null;
  output: string;
}

/** Writes `files` (name -> YAML-able object) into a fresh temp dir and runs promtool there. */
export function promtool(args: (dir: string) => string[], files: Record<string, unknown>): PromtoolResult {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'promtool-'));
  try {
    for (const [name, content] of Object.entries(files))
      fs.writeFileSync(path.join(dir, name), stringify(content));
    const r = spawnSync(PROMTOOL, args(dir), { cwd: dir, encoding: 'utf8', timeout: 60_000 });
    return { status: r.status, output: `${r.stdout}\n${r.stderr}` };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** A promtool input series name with its labels. */
export const series = (name: string, labels: Record<string, string>) =>
  `${name}{${Object.entries(labels)
    .map(([k, v]) => `${k}="${v}"`)
    .join(',')}}`;

export interface InputSeries {
  series: string;
  values: string;
}

export const gauge = (
  name: string,
  labels: Record<string, string>,
  value: number,
  minutes: number,
): InputSeries => ({
  series: series(name, labels),
  values: `${value}x${minutes}`,
});

interface Alerting {
  alert: string;
  annotations: Record<string, string>;
}

function render(template: string, labels: Record<string, string>): string {
  return template.replace(/\{\{ \$labels\.(\w+) \}\}/g, (_, k: string) => labels[k] ?? '');
}

/**
 * A promtool rule test: at `evalMinutes`, each alert of `alertNames` fires with the labels in
 * `firing` (and its annotations rendered for them), or stays silent when it has none there.
 */
export function alertRuleTest(
  groups: { rules: object[] }[],
  alertNames: readonly string[],
  scenario: {
    series: InputSeries[];
    evalMinutes: number;
    firing: Partial<Record<string, Record<string, string>>>;
  },
) {
  const alerts = new Map(
    groups
      .flatMap((g) => g.rules)
      .filter((r): r is Alerting => 'alert' in r)
      .map((r) => [r.alert, r]),
  );
  return {
    rule_files: ['rules.yaml'],
    evaluation_interval: '1m',
    tests: [
      {
        interval: '1m',
        input_series: scenario.series,
        alert_rule_test: alertNames.map((name) => {
          const labels = scenario.firing[name];
          const rule = alerts.get(name);
          if (!rule) throw new Error(`rule ${name} missing`);
          return {
            eval_time: `${scenario.evalMinutes}m`,
            alertname: name,
            exp_alerts: labels
              ? [
                  {
                    exp_labels: labels,
                    exp_annotations: Object.fromEntries(
                      Object.entries(rule.annotations).map(([k, v]) => [k, render(v, labels)]),
                    ),
                  },
                ]
              : [],
          };
        }),
      },
    ],
  };
}
