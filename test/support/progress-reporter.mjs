/**
 * Jest's per-file progress, console output and failure details, in lines of its own making.
 *
 * Jest's default reporter starts each file's line with `PASS` or `FAIL`, the words `go test` closes
 * a run with. CI reads the closing lines of several test runners, go's among them, before the plain
 * `N passed, N failed` line, so a log full of `PASS <path>` can be taken for a go run that executed
 * no test. Each file here gets `✓ <path> (N tests, S s)` or `✗ <path> (N tests, M failing, S s)`
 * instead, and the run's last word is the closing-line reporter's (jest's own summary block is not
 * printed either).
 */
import { DefaultReporter } from '@jest/reporters';
import { getConsoleOutput } from '@jest/console';

export default class ProgressReporter extends DefaultReporter {
  printTestFileHeader(testPath, config, result) {
    this.log(fileLine(testPath, result));
    if (result.console) {
      this.log(`  Console\n\n${getConsoleOutput(result.console, config, this._globalConfig)}`);
    }
  }
}

/** One line for a finished test file: its outcome mark, path, test counts and time. */
export function fileLine(testPath, result) {
  const where = testPath.replace(`${process.cwd()}/`, '');
  const seconds = ((result.perfStats.end - result.perfStats.start) / 1000).toFixed(1);
  const failing = result.numFailingTests + (result.testExecError ? 1 : 0);
  const skipped = result.numPendingTests + result.numTodoTests;
  const total = result.numPassingTests + result.numFailingTests + skipped;
  const parts = [`${total} tests`];
  if (failing) parts.push(`${failing} failing`);
  if (skipped) parts.push(`${skipped} skipped`);
  return `${failing ? '✗' : '✓'} ${where} (${parts.join(', ')}, ${seconds} s)`;
}
