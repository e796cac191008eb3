// The load-test API other packages use: scenarios and thresholds derived from a stack's SLA, the k6
// scripts, and the local runner's CLI and report.
export {
  SCENARIO_NAMES,
  buildScenario,
  buildScenarios,
  type ScenarioName,
  type ScenarioDefinition,
} from './scenarios';
export { slaThresholds, type ThresholdSet } from './thresholds';
export { evaluateThresholds, metricsFromK6Summary, type Verdict } from './evaluate';
export { K6_SCRIPTS_DIR, bundleK6 } from './build/bundle-k6';
export { main as runLoadTestCli } from './local/cli';
export { planSteps, type Step } from './local/plan';
export type { LoadTestReport } from './report/report';
