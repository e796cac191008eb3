import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO_ROOT } from '@ml-platform/stack-config';
import { guardrails } from '../src/guardrails';

/** The README's guardrails table is what operators read; it must match the pack. */
const readme = fs.readFileSync(path.join(REPO_ROOT, 'policies', 'README.md'), 'utf8');
const rows = new Map(
  readme
    .split('\n')
    .filter((l) => l.startsWith('| `'))
    .map((l) => l.split(' | ').map((c) => c.replace(/^\| /, '').trim()))
    .map((cells) => [cells[0].replace(/`/g, ''), cells] as const),
);

it.each(guardrails(() => ({}) as never).map((p) => [p.name, p] as const))('documents %s', (name, policy) => {
  const row = rows.get(name);
  expect(row).toBeDefined();
  const [, kind, , severity, level] = row ?? [];
  expect([kind, severity, level]).toEqual([
    'validateStack' in policy ? 'stack' : 'resource',
    policy.severity,
    policy.enforcementLevel,
  ]);
  for (const setting of Object.keys(policy.configSchema?.properties ?? {})) {
    if (!['exemptResources', 'exemptionReason'].includes(setting))
      expect(row?.[5]).toContain(`\`${setting}\``);
  }
});

it('lists every broken fixture', () => {
  for (const f of fs.readdirSync(path.join(REPO_ROOT, 'test', 'fixtures', 'stacks')))
    expect(readme).toContain(`\`${f}\``);
});
