/**
 * Lines shaped like the closing or result lines of the test runners whose output CI reads before
 * the plain `N passed, N failed` line. A line of ours that matches one can make CI take our log for
 * that runner's run and count no test, so the reporters and everything a test prints avoid them.
 * Each form is loose on purpose: a reader may match more than the runner prints.
 */
export const RUNNER_CLOSING_FORMS: ReadonlyArray<readonly [runner: string, form: RegExp]> = [
  ['go test', /^\s*(PASS|FAIL|ok)\b|^\s*--- (PASS|FAIL|SKIP)|\[no test files\]|\bFAIL\b/],
  ['gotestsum', /^\s*[✓✔✖✗∅]\s|^\s*DONE \d+ tests?/],
  ['pytest', /^=+ .* in [\d.]+\s?s\b|no tests ran|\b\d+ (passed|failed) in [\d.]+\s?s\b/],
  ['cargo test', /test result: /],
  ['nextest', /\b\d+ tests? run: /],
  ["node's test runner", /^\s*[#ℹ] (tests|suites|pass|fail|cancelled|skipped|todo) \d+/],
  ['Maven Surefire', /Tests run: \d+/],
  ['ctest', /tests passed, \d+ tests failed out of|No tests were found/],
  ['prove', /Files=\d+, Tests=\d+|^\s*Result: /i],
  ['RSpec', /\b\d+ examples?, \d+ failures?/],
  ['minitest', /\b\d+ runs, \d+ assertions/],
  ['EUnit', /All \d+ tests passed|Failed: \d+\.\s+Skipped: /],
  ['ExUnit', /\b\d+ (tests?|doctests?|properties), \d+ failures?/],
  ['cabal', /\btest suites? .*passed|test cases?\) passed/],
  ['OUnit', /^\s*Ran: \d+ tests?/],
  ['PHPUnit', /^\s*OK \(\d+ tests?|^\s*Tests: \d+, Assertions|No tests executed/],
  ['Criterion', /Synthesis: Tested:/],
  ['cmocka', /\[\s+(PASSED|FAILED)\s+\]|\[=+\] \d+ tests?/],
  ['CUnit', /Run Summary:/],
  ['Check', /\d+%: Checks: \d+/],
  ['swift test', /Executed \d+ tests?|Test run with \d+ tests?/],
  ['unittest', /^\s*Ran \d+ tests? in/],
  ['mocha', /^\s*\d+ (passing|failing|pending)\b/],
  ['jest', /^\s*Tests?:\s+\d+/],
];

/** The lines of `text` that look like another runner's closing line, each with the runner named. */
export function runnerLookalikes(text: string): string[] {
  const found: string[] = [];
  for (const line of text.split('\n')) {
    for (const [runner, form] of RUNNER_CLOSING_FORMS) {
      if (form.test(line)) found.push(`${runner}: ${line}`);
    }
  }
  return found;
}
