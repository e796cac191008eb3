/**
 * The stack outputs as the program hands them to Pulumi, before any filtering: Pulumi warns
 * "Undefined value (<key>) will not show as a stack output" for each top-level output that is, or
 * resolves to, undefined, so a stack exports only the outputs it has.
 */
import * as pulumi from '@pulumi/pulumi';
import * as path from 'node:path';
import { listStacks, loadStackConfig, REPO_ROOT, stackConfigMap } from '@ml-platform/stack-config';
import { program, runUnderMocks } from '@ml-platform/infra/synth';
import {
  expressions,
  loadYaml,
  references,
  WORKFLOW_DIR,
  type Workflow,
} from '../workflows/support/workflow';

async function settle(value: unknown): Promise<unknown> {
  if (value instanceof Promise) return settle(await value);
  if (pulumi.Output.isInstance(value))
    return settle(await new Promise((resolve) => (value as pulumi.Output<unknown>).apply(resolve)));
  return value;
}

/** Every output key the program returns, with its resolved value (undefined kept). */
async function declaredOutputs(stack: string): Promise<Map<string, unknown>> {
  const declared = new Map<string, unknown>();
  await runUnderMocks(
    async () => {
      const outputs = await program();
      for (const [key, value] of Object.entries(outputs)) declared.set(key, await settle(value));
      return outputs;
    },
    { stack, region: loadStackConfig(stack).region, config: stackConfigMap(stack, {}) },
  );
  return declared;
}

const CLOUD_ONLY = ['clusterName', 'kubeconfig', 'vpcId', 'modelBucket', 'alertTopicArn'];

// pulumi/actions makes each stack output a step output; actionlint cannot check those names, this can.
const deploy = loadYaml<Workflow>(path.join(WORKFLOW_DIR(REPO_ROOT), 'deploy-gate.yml')).jobs.deploy;
const readByDeployGate = [
  ...new Set(
    expressions(deploy)
      .flatMap((e) => references(e, 'steps'))
      .filter(([step, kind]) => step === 'up' && kind === 'outputs')
      .map(([, , output]) => output),
  ),
];

describe.each(listStacks())('stack %s outputs', (stack) => {
  const config = loadStackConfig(stack);
  let outputs: Map<string, unknown>;
  beforeAll(async () => {
    outputs = await declaredOutputs(stack);
  }, 60_000);

  it('include no undefined value', () => {
    expect([...outputs].filter(([, v]) => v === undefined).map(([k]) => k)).toEqual([]);
  });

  it('carry the cluster, network, bucket and alert topic on the cloud only, the API key only with auth', () => {
    const cloud = config.environment !== 'local';
    for (const key of CLOUD_ONLY) expect([key, outputs.has(key)]).toEqual([key, cloud]);
    expect(outputs.has('apiKey')).toBe(config.service.auth);
  });

  if (config.environment !== 'local')
    it('include every stack output the deploy gate reads from pulumi up', () => {
      expect(readByDeployGate.length).toBeGreaterThan(0);
      expect(readByDeployGate.filter((o) => !outputs.has(o))).toEqual([]);
    });
});
