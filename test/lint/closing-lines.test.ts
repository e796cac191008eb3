import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runnerLookalikes } from '../support/runner-closing-forms';

/**
 * CI judges a run by its closing lines: a run must end with `jest: N passed, N failed` on both
 * streams, and no line may look like another test runner's closing line (go test's `PASS`/`FAIL`,
 * gotestsum's `✓ <package>`), which CI reads first.
 */
const root = join(__dirname, '..', '..');
const fixtures = join(root, 'test', 'fixtures', 'jest-run');

function runJest(stdio: 'separate' | 'merged') {
  const config = join(mkdtempSync(join(tmpdir(), 'jest-run-')), 'jest.config.js');
  writeFileSync(
    config,
    `module.exports = ${JSON.stringify({
      rootDir: fixtures,
      testMatch: ['**/*.check.js'],
      reporters: [
        join(root, 'test', 'support', 'progress-reporter.mjs'),
        join(root, 'test', 'support', 'closing-line-reporter.mjs'),
      ],
    })};`,
  );
  const jest = join(root, 'node_modules', 'jest', 'bin', 'jest.js');
  const args = [jest, '--config', config, '--ci'];
  const command =
    stdio === 'merged'
      ? spawnSync('bash', ['-c', '"$0" "$@" 2>&1', process.execPath, ...args], {
          cwd: fixtures,
          encoding: 'utf8',
        })
      : spawnSync(process.execPath, args, { cwd: fixtures, encoding: 'utf8' });
  return { status: command.status, stdout: command.stdout, stderr: command.stderr };
}

const lastLine = (text: string) => text.trimEnd().split('\n').at(-1);

describe('the closing lines of a jest run', () => {
  const separate = runJest('separate');

  it('end both streams with the plain count, skipped included', () => {
    expect(separate.status).toBe(1);
    expect(lastLine(separate.stdout)).toBe('jest: 2 passed, 1 failed, 1 skipped');
    expect(lastLine(separate.stderr)).toBe('jest: 2 passed, 1 failed, 1 skipped');
  });

  it('name the failing test and report each file in words no other runner closes with', () => {
    const log = `${separate.stderr}\n${separate.stdout}`;
    const lines = log.split('\n');
    expect(lines).toContain('red test: outcomes.check.js › fails on purpose');
    expect(lines).toContainEqual(
      expect.stringMatching(/^file outcomes\.check\.js: 2 of 4 green, 1 red, 1 skipped, \d+\.\d s$/),
    );
    expect(lines).toContainEqual(expect.stringMatching(/^jest took \d+\.\d s for 1 test files$/));
    expect(runnerLookalikes(log)).toEqual([]);
    // Only the closing line has the `N passed, N failed` form.
    expect(lines.filter((l) => /\d+ passed, \d+ failed/.test(l))).toEqual([
      'jest: 2 passed, 1 failed, 1 skipped',
      'jest: 2 passed, 1 failed, 1 skipped',
    ]);
    expect(separate.stderr).toContain('a line from a test');
  });

  it('are written once when both streams are one pipe', () => {
    const merged = runJest('merged');
    expect(lastLine(merged.stdout)).toBe('jest: 2 passed, 1 failed, 1 skipped');
    expect(merged.stdout.split('\n').filter((l) => l.startsWith('jest: '))).toHaveLength(1);
  });
});
