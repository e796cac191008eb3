/**
 * Ends every jest run with the failed tests by name and then one plain line,
 * `jest: N passed, N failed[, N skipped]`. CI reads the closing lines to tell a run that tested
 * something from one that ran nothing; jest's own summary block ("Tests: 809 passed, 809 total",
 * "Snapshots: 0 total") is not a form it reads, so the run prints this line instead of that block.
 * The line is written as the process exits so that it comes after everything jest prints (stdout
 * to a file, pipe or terminal is written synchronously on Linux, so the line is not lost at exit).
 */
class ClosingLineReporter {
  onRunComplete(_contexts, results) {
    const failed = [];
    for (const file of results.testResults) {
      const where = file.testFilePath.replace(`${process.cwd()}/`, '');
      if (file.testExecError) failed.push(`${where}: ${file.testExecError.message.split('\n')[0]}`);
      for (const t of file.testResults) {
        if (t.status === 'failed') failed.push(`${where}: ${t.fullName}`);
      }
    }
    const skipped = results.numPendingTests + results.numTodoTests;
    // A test file that cannot run (a missing module, a syntax error) has no failed test in it, but
    // it failed: it counts as one.
    const failedCount = results.numFailedTests + results.numRuntimeErrorTestSuites;
    const seconds = ((Date.now() - results.startTime) / 1000).toFixed(1);
    const lines = [
      ...failed.map((name) => `FAILED ${name}`),
      `${results.numTotalTestSuites} test files in ${seconds} s`,
      `jest: ${results.numPassedTests} passed, ${failedCount} failed${skipped ? `, ${skipped} skipped` : ''}`,
    ];
    process.once('exit', () => process.stdout.write(`${lines.join('\n')}\n`));
  }
}

module.exports = ClosingLineReporter;
