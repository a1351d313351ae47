// Prints one plain closing line, `tests: N passed, N failed, N skipped`, as the very last line of
// a jest run, so CI systems that read a run's closing lines can tell how many tests really ran.
// Jest always adds its own summary after every custom reporter, hence the exit hook.
class SummaryReporter {
  onRunComplete(_contexts, results) {
    const skipped = results.numPendingTests + results.numTodoTests;
    const line = `tests: ${results.numPassedTests} passed, ${results.numFailedTests} failed, ${skipped} skipped\n`;
    process.once('exit', () => process.stderr.write(line));
  }
}
module.exports = SummaryReporter;
