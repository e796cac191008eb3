import * as aws from '@pulumi/aws';
import { validateResourceOfType, validateStackResourcesOfType, type Policies } from '@pulumi/policy';
import { evaluatePolicies, hasMandatoryViolations } from '../src/gate/evaluate';
import { validatePolicyConfig } from '../src/core/policy-config';
import { guardrails } from '../src/guardrails';
import { fixedContext } from '../src/core/context';
import { budget, gpuNodeGroup, prodConfig, resource } from './support/stack';

/** The evaluator must treat @pulumi/policy's own helpers exactly as the analyzer server does. */
const pack: Policies = [
  {
    name: 'budget-limit-set',
    description: 'budgets have a limit',
    enforcementLevel: 'mandatory',
    severity: 'low',
    validateResource: validateResourceOfType(aws.budgets.Budget, (b, args, report) => {
      if (!b.limitAmount) report(`${args.name} has no limit`);
      if (args.asType(aws.budgets.Budget) === undefined) report('asType disagrees with isType');
    }),
  },
  {
    name: 'few-node-groups',
    description: 'at most one node group',
    validateStack: validateStackResourcesOfType(aws.eks.NodeGroup, (groups, _args, report) => {
      if (groups.length > 1) report(`${groups.length} node groups`);
    }),
  },
  {
    name: 'configurable',
    description: 'reads its config',
    enforcementLevel: 'advisory',
    configSchema: { properties: { limit: { type: 'number' } } },
    validateResource: (args, report) => {
      const { limit } = args.getConfig<{ limit?: number }>();
      if (args.type === 'aws:budgets/budget:Budget' && limit !== undefined) report(`limit ${limit}`);
    },
  },
];

const noLimit = resource('aws:budgets/budget:Budget', 'nolimit', { budgetType: 'COST' });

describe('evaluatePolicies', () => {
  it('runs validateResourceOfType only on its type and reports against the resource', async () => {
    const r = await evaluatePolicies(pack, [noLimit, budget(), gpuNodeGroup()], {
      packEnforcementLevel: 'advisory',
    });
    expect(r.violations).toEqual([
      expect.objectContaining({
        policyName: 'budget-limit-set',
        message: 'nolimit has no limit',
        enforcementLevel: 'mandatory',
        urn: noLimit.urn,
      }),
    ]);
    expect(hasMandatoryViolations(r)).toBe(true);
  });

  it('runs validateStackResourcesOfType over the matching resources and is not applicable without them', async () => {
    const two = await evaluatePolicies(pack, [
      gpuNodeGroup(),
      { ...gpuNodeGroup(), name: 'g2', urn: 'urn:pulumi:prod::p::aws:eks/nodeGroup:NodeGroup::g2' },
    ]);
    expect(two.violations.map((v) => [v.policyName, v.message, v.enforcementLevel])).toEqual([
      ['few-node-groups', '2 node groups', 'advisory'],
    ]);
    const none = await evaluatePolicies(pack, [budget()]);
    expect(none.notApplicable).toContainEqual({
      policyName: 'few-node-groups',
      reason: "Policy only applies to resources of type 'aws:eks/nodeGroup:NodeGroup'",
    });
  });

  it('resolves the enforcement level from config, then the policy, then the pack; disabled skips', async () => {
    const cfg = {
      'budget-limit-set': 'advisory' as const,
      configurable: { enforcementLevel: 'disabled' as const, limit: 3 },
    };
    const r = await evaluatePolicies(pack, [noLimit], { config: cfg });
    expect(r.violations.map((v) => [v.policyName, v.enforcementLevel])).toEqual([
      ['budget-limit-set', 'advisory'],
    ]);
    const configured = await evaluatePolicies(pack, [budget()], { config: { configurable: { limit: 3 } } });
    expect(configured.violations.map((v) => v.message)).toEqual(['limit 3']);
  });

  it('treats remediate as mandatory, as the engine does for validations', async () => {
    const r = await evaluatePolicies(pack, [noLimit], { config: { 'budget-limit-set': 'remediate' } });
    expect(r.violations[0].enforcementLevel).toBe('mandatory');
  });

  it('turns a crashing policy into an error naming the policy and resource', async () => {
    const broken: Policies = [
      {
        name: 'boom',
        description: 'x',
        validateResource: () => {
          throw new Error('bad code');
        },
      },
    ];
    await expect(evaluatePolicies(broken, [noLimit])).rejects.toThrow(
      /policy 'boom' failed on urn:pulumi:prod::ml-platform::aws:budgets\/budget:Budget::nolimit: Error: bad code/,
    );
  });

  it('waives a resource through exemptResources', async () => {
    const policies = guardrails(fixedContext(prodConfig(), () => 1));
    const big = gpuNodeGroup({ scalingConfig: { maxSize: 100 } });
    const before = await evaluatePolicies(policies, [big]);
    expect(before.violations.map((v) => v.policyName)).toContain('gpu-node-groups');
    const after = await evaluatePolicies(policies, [big], {
      config: { 'gpu-node-groups': { exemptResources: ['gpu-g5'], exemptionReason: 'test' } },
    });
    expect(after.violations.map((v) => v.policyName)).not.toContain('gpu-node-groups');
    expect(after.notApplicable).toContainEqual({
      policyName: 'gpu-node-groups',
      reason: 'waived by exemptResources',
    });
  });
});

describe('validatePolicyConfig', () => {
  const policies = guardrails(fixedContext(prodConfig(), () => 1));
  it('accepts levels, settings and waivers of real policies', () => {
    const cfg = {
      'gpu-node-groups': { enforcementLevel: 'advisory', maxNodes: 8 },
      'workload-probes': 'disabled',
    };
    expect(validatePolicyConfig(cfg, policies, 'x.json')).toBe(cfg);
  });
  it('refuses a waiver without a reason', () => {
    expect(() =>
      validatePolicyConfig({ 'workload-probes': { exemptResources: ['x'] } }, policies, 'x.json'),
    ).toThrow(
      'workload-probes.exemptionReason: required when exemptResources is set, so the waiver says why',
    );
  });
  it('names each bad entry: unknown policy, bad level, unknown setting, wrong type, below minimum', () => {
    const bad = {
      'no-such-policy': 'advisory',
      'workload-probes': 'loud',
      'gpu-node-groups': { maxNode: 8, maxNodes: '8', enforcementLevel: 'strict' },
      'prod-availability': { minReplicas: 0 },
    };
    expect(() => validatePolicyConfig(bad, policies, 'x.json')).toThrow(
      new RegExp(
        [
          'invalid policy config in x.json:',
          '  - "no-such-policy" is not a policy of this pack \\(policies: sla-alerts, .*\\)',
          '  - workload-probes: enforcement level "loud" is not one of advisory, mandatory, remediate, disabled',
          '  - gpu-node-groups.maxNode: unknown setting \\(settings: exemptResources, exemptionReason, maxNodes, .*\\)',
          '  - gpu-node-groups.maxNodes: expected "number", got "8"',
          '  - gpu-node-groups.enforcementLevel: "strict" is not one of advisory, mandatory, remediate, disabled',
          '  - prod-availability.minReplicas: must be >= 1, got 0',
        ].join('\\n'),
      ),
    );
  });
});
