/** actionlint over the repository's workflows, shellcheck included: any finding fails. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { REPO_ROOT } from '@ml-platform/stack-config';
import { actionlint, actionlintUnavailableReason } from './support/actionlint';
import { WORKFLOW_DIR } from './support/workflow';

const reason = actionlintUnavailableReason();
if (reason) console.warn(`skipping actionlint: ${reason}`);
const d = reason ? describe.skip : describe;

d('actionlint', () => {
  it('finds nothing in .github/workflows', () => {
    const dir = WORKFLOW_DIR(REPO_ROOT);
    const files = fs
      .readdirSync(dir)
      .filter((f) => f.endsWith('.yml'))
      .map((f) => path.relative(REPO_ROOT, path.join(dir, f)));
    expect(files.length).toBeGreaterThan(0);
    const r = actionlint(REPO_ROOT, files);
    expect(r.findings).toEqual([]);
    expect(r.status).toBe(0);
  });

  it('reports shellcheck findings and bad expressions, ignoring only the pulumi/actions stack outputs', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'actionlint-'));
    try {
      fs.mkdirSync(WORKFLOW_DIR(root), { recursive: true });
      const file = path.join(WORKFLOW_DIR(root), 'probe.yml');
      fs.writeFileSync(
        file,
        [
          'on: push',
          'jobs:',
          '  a:',
          '    runs-on: ubuntu-24.04',
          '    steps:',
          '      - id: up',
          '        uses: pulumi/actions@v6',
          '        with: { command: up, stack-name: dev }',
          '      - run: echo $UNQUOTED',
          '      - run: echo "$X"',
          '        env: { X: "${{ steps.up.outputs.endpoint }}" }',
          '      - run: echo "$X"',
          '        env: { X: "${{ needs.build.outputs.image }}" }',
          '',
        ].join('\n'),
      );
      const r = actionlint(root, [path.relative(root, file)]);
      expect(r.status).toBe(1);
      expect(r.findings).toEqual([
        expect.stringMatching(/probe\.yml:9:.*SC2086/),
        expect.stringMatching(/probe\.yml:13:.*property "build" is not defined/),
      ]);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});
