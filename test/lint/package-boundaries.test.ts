import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO_ROOT } from '@ml-platform/stack-config';

/**
 * The lint rule that keeps each package's src/ private, run by the repo's own ESLint config on sources
 * placed at paths in the repo. ESLint loads its config with a dynamic import, which jest's module VM
 * does not allow, so one plain node process lints every case.
 */
type Case = [file: string, source: string];

const LINT = `
const { ESLint } = require('eslint');
const cases = JSON.parse(require('node:fs').readFileSync(0, 'utf8'));
const eslint = new ESLint({ cwd: process.cwd() });
Promise.all(cases.map(([file, source]) => eslint.lintText(source, { filePath: require('node:path').join(process.cwd(), file) })))
  .then((results) => process.stdout.write(JSON.stringify(results.map(([r]) =>
    r.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message)))));
`;

function restricted(cases: Case[]): string[][] {
  const out = execFileSync(process.execPath, ['-e', LINT], { cwd: REPO_ROOT, input: JSON.stringify(cases) });
  return JSON.parse(String(out)) as string[][];
}

const workspaces = (
  JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { workspaces: string[] }
).workspaces;

const FORBIDDEN: Case[] = [
  ['test/synth/x.test.ts', "import { synthStack } from '../../infra/src/synth/run';"],
  ['infra/test/workload/x.test.ts', "import { ApiKeyAuth } from '../../../service/src/guards/auth';"],
  ['policies/src/gate/x.ts', "import { synthStack } from '@ml-platform/infra/src/synth/run';"],
  ['loadtests/src/x.ts', "export { PRICE_TABLE } from '../../stack-config/src/price-table';"],
  // Every workspace listed in package.json, so one added later is covered too.
  ...workspaces.map((w): Case => ['test/x.test.ts', `import '../${w}/src/anything';`]),
];
const ALLOWED: Case[] = [
  ['infra/test/x.test.ts', "import { program } from '../src/program';"],
  ['infra/test/budget/x.test.ts', "import { Budget } from '../../src/budget/budget';"],
  ['policies/src/gate/x.ts', "import { synthStack } from '@ml-platform/infra/synth';"],
  ['test/x.test.ts', "import { loadStackConfig } from '@ml-platform/stack-config';"],
];

describe("no package imports another package's src/", () => {
  const results = restricted([...FORBIDDEN, ...ALLOWED]);

  it.each(FORBIDDEN.map((c, i) => [...c, i] as const))('%s: %s fails', (_file, _source, i) => {
    expect(results[i]).toEqual([expect.stringMatching(/src\//)]);
  });

  it.each(ALLOWED.map((c, i) => [...c, FORBIDDEN.length + i] as const))('%s: %s passes', (_f, _s, i) => {
    expect(results[i]).toEqual([]);
  });
});
