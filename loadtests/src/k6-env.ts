import type { Sla } from '@ml-platform/stack-config';
import { buildScenario, isScenarioName, SCENARIO_NAMES, type ScenarioDefinition } from './scenarios';

export type K6Env = Record<string, string | undefined>;

/** A `-e NAME=...` setting the script cannot run without; the error says how to pass it. */
export function requiredEnv(env: K6Env, name: string): string {
  const v = env[name];
  if (!v) throw new Error(`environment variable ${name} is required (k6 run -e ${name}=...)`);
  return v;
}

/**
 * What every k6 script reads first: STACK (its SLA from the bundle), SCENARIO (default smoke),
 * DURATION (compresses the scenario), BATCH_SIZE (default 1).
 */
export function scenarioFromEnv(
  env: K6Env,
  slas: Record<string, Sla>,
): { stack: string; sla: Sla; definition: ScenarioDefinition; batchSize: number } {
  const stack = requiredEnv(env, 'STACK');
  const sla = slas[stack];
  if (!sla) {
    throw new Error(`STACK "${stack}" has no SLA in this bundle (stacks: ${Object.keys(slas).join(', ')})`);
  }
  const scenarioName = env.SCENARIO || 'smoke';
  if (!isScenarioName(scenarioName)) {
    throw new Error(`SCENARIO must be one of ${SCENARIO_NAMES.join(', ')}, got "${scenarioName}"`);
  }
  const definition = buildScenario(sla, scenarioName, env.DURATION ? Number(env.DURATION) : undefined);
  return { stack, sla, definition, batchSize: env.BATCH_SIZE ? Number(env.BATCH_SIZE) : 1 };
}
