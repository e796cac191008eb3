/**
 * Jest's per-file progress, console output and failure details, in lines of its own making.
 *
 * CI reads the closing lines of several test runners before the plain `N passed, N failed` line,
 * and a line shaped like theirs can make it take the whole log for their run, one that executed no
 * test. Jest's default reporter starts each file's line with `PASS` or `FAIL` (go test's words), and
 * a `✓ <path> (1.2 s)` line is gotestsum's; so each file here gets
 * `file <path>: 11 of 11 green, 18.4 s` (`…: 9 of 11 green, 2 red, 1 skipped, 18.4 s`), words no
 * runner closes with. The run's last word is the closing-line reporter's (jest's own summary block
 * is not printed either).
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

/** One line for a finished test file: its path, how many of its tests passed, and its time. */
export function fileLine(testPath, result) {
  const where = testPath.replace(`${process.cwd()}/`, '');
  const seconds = ((result.perfStats.end - result.perfStats.start) / 1000).toFixed(1);
  // A file that cannot run (a syntax error, a missing module) has no failed test in it: one red.
  const red = result.numFailingTests + (result.testExecError ? 1 : 0);
  const skipped = result.numPendingTests + result.numTodoTests;
  const total = result.numPassingTests + result.numFailingTests + skipped;
  const parts = [`${result.numPassingTests} of ${total} green`];
  if (red) parts.push(`${red} red`);
  if (skipped) parts.push(`${skipped} skipped`);
  return `file ${where}: ${parts.join(', ')}, ${seconds} s`;
}
