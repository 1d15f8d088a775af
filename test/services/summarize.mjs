// Prints jest's totals as one plain line, `N passed, N failed, N skipped`, last.
import { readFileSync } from 'node:fs';

const file = process.argv[2];
let result;
try {
  result = JSON.parse(readFileSync(file, 'utf8'));
} catch {
  console.log('0 passed, 1 failed (jest wrote no results)');
  process.exit(0);
}
const failedSuites = result.numFailedTestSuites ?? 0;
const lintFailed = process.env.LINT_FAILED === '1' ? 1 : 0;
const failed = (result.numFailedTests ?? 0) + (result.numRuntimeErrorTestSuites ?? 0) + lintFailed;
const passed = (result.numPassedTests ?? 0) + (process.env.LINT_FAILED === '0' ? 1 : 0);
if (lintFailed === 1) {
  console.log('failed: eslint (see its report above)');
}
const skipped = (result.numPendingTests ?? 0) + (result.numTodoTests ?? 0);
if (failedSuites > 0) {
  for (const suite of result.testResults.filter((entry) => entry.status === 'failed')) {
    console.log(`failed: ${suite.name}`);
  }
}
// What did not run is said out loud, not hidden in a count.
for (const suite of result.testResults) {
  for (const test of suite.assertionResults.filter((entry) => entry.status === 'pending' || entry.status === 'skipped')) {
    console.log(`skipped: ${test.fullName}`);
  }
}
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
