import { fstatSync } from 'node:fs';

/**
 * Ends every jest run with the failed tests by name (`red test: <file> › <name>`, not `FAIL`: see
 * progress-reporter.mjs) and then one plain line, `jest: N passed, N failed[, N skipped]`. CI reads
 * the closing line to tell a run that tested something from one that ran nothing; jest's own
 * summary block ("Tests: 809 passed, 809 total", "Snapshots: 0 total") is not a form it reads, so
 * the run prints this line instead of that block.
 *
 * The lines close both output streams. Jest writes its progress to stderr, so a reader of stderr
 * alone would otherwise end on a progress line, and a reader of stdout alone on whatever a test
 * printed last; where both streams are one file or pipe (`2>&1`), the lines are written once.
 * They are written as the process exits so that they come after everything jest prints (writes to
 * a file, pipe or terminal are synchronous on Linux, so nothing is lost at exit).
 */
export default class ClosingLineReporter {
  onRunComplete(_contexts, results) {
    const failed = [];
    for (const file of results.testResults) {
      const where = file.testFilePath.replace(`${process.cwd()}/`, '');
      if (file.testExecError) failed.push(`${where} › ${file.testExecError.message.split('\n')[0]}`);
      for (const t of file.testResults) {
        if (t.status === 'failed') failed.push(`${where} › ${t.fullName}`);
      }
    }
    const skipped = results.numPendingTests + results.numTodoTests;
    // A test file that cannot run (a missing module, a syntax error) has no failed test in it, but
    // it failed: it counts as one.
    const failedCount = results.numFailedTests + results.numRuntimeErrorTestSuites;
    const seconds = ((Date.now() - results.startTime) / 1000).toFixed(1);
    const text = [
      ...failed.map((name) => `red test: ${name}`),
      `jest took ${seconds} s for ${results.numTotalTestSuites} test files`,
      `jest: ${results.numPassedTests} passed, ${failedCount} failed${skipped ? `, ${skipped} skipped` : ''}`,
      '',
    ].join('\n');
    process.once('exit', () => {
      if (!sameFile(1, 2)) process.stderr.write(text);
      process.stdout.write(text);
    });
  }
}

/** Whether two file descriptors are the same open file (a shared pipe, terminal or log file). */
function sameFile(a, b) {
  try {
    const [x, y] = [fstatSync(a), fstatSync(b)];
    return x.dev === y.dev && x.ino === y.ino;
  } catch {
    return false;
  }
}
