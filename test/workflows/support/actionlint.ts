import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** Test support: actionlint (with shellcheck for the `run:` scripts) over workflow files. */
export const ACTIONLINT_VERSION = 'v1.7.12';
const goBin = process.env.GOBIN || path.join(process.env.GOPATH || path.join(os.homedir(), 'go'), 'bin');
export const ACTIONLINT = process.env.ACTIONLINT ?? path.join(goBin, 'actionlint');
export const SHELLCHECK = process.env.SHELLCHECK ?? '/usr/bin/shellcheck';

/**
 * pulumi/actions turns every stack output into a step output of the same name, but its action.yml
 * declares only `output`, so actionlint reports each stack output a workflow reads (for example
 * `steps.up.outputs.endpoint`: property "endpoint" is not defined in object type {output: string}).
 * Exactly that message is ignored; every other finding, about step outputs too, still counts.
 */
export const PULUMI_STEP_OUTPUTS = '^property "[^"]+" is not defined in object type \\{output: string\\}$';

/** Why the lint cannot run here, or undefined when it can. */
export function actionlintUnavailableReason(): string | undefined {
  if (!fs.existsSync(ACTIONLINT))
    return `${ACTIONLINT} not found (go install github.com/rhysd/actionlint/cmd/actionlint@${ACTIONLINT_VERSION}, as .ci/run does)`;
  // Without shellcheck actionlint silently skips the scripts, and the lint would pass on less than it says.
  if (!fs.existsSync(SHELLCHECK)) return `${SHELLCHECK} not found (apt-get install shellcheck)`;
  return undefined;
}

export interface LintResult {
  status: number | null;
  /** One finding per line: `file:line:col: message [kind]`. */
  findings: string[];
}

/** Runs actionlint on `files` from `cwd` (local actions and reusable workflows resolve from there). */
export function actionlint(cwd: string, files: string[]): LintResult {
  const r = spawnSync(
    ACTIONLINT,
    ['-no-color', '-oneline', `-shellcheck=${SHELLCHECK}`, '-ignore', PULUMI_STEP_OUTPUTS, ...files],
    { cwd, encoding: 'utf8', timeout: 120_000 },
  );
  if (r.error) throw r.error;
  const findings = `${r.stdout}${r.stderr}`.split('\n').filter((l) => l.trim() !== '');
  return { status: r.status, findings };
}
