/**
 * Ends every jest run with one plain line, `jest: N passed, N failed[, N skipped]`. CI reads the
 * closing lines to tell a run that tested something from one that ran nothing, and jest's own
 * summary ("Tests: 809 passed, 809 total") is not in a form it recognises. The line is written as
 * the process exits so that it comes after jest's summary (stdout to a file, pipe or terminal is
 * written synchronously on Linux, so the line is not lost at exit).
 */
class ClosingLineReporter {
  onRunComplete(_contexts, results) {
    const skipped = results.numPendingTests + results.numTodoTests;
    const line = `jest: ${results.numPassedTests} passed, ${results.numFailedTests} failed`;
    process.once('exit', () => process.stdout.write(`${line}${skipped ? `, ${skipped} skipped` : ''}\n`));
  }
}

module.exports = ClosingLineReporter;
