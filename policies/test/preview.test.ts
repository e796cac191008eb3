import { unknownCheckingProxy } from '@pulumi/policy';
import { checkRedisEncryption } from '../src/checks/redis';
import { checkAlarmActions } from '../src/checks/sla-alerts';
import { checkGpuNodeGroup } from '../src/checks/gpu-node-groups';
import { isSet, peek, UNKNOWN } from '../src/core/unknown';
import {
  budget,
  costTags,
  goodStack,
  gpuNodeGroup,
  lines,
  redisGroup,
  resource,
  runPack,
} from './support/stack';
import { UNKNOWN_ARRAY, UNKNOWN_NUMBER, UNKNOWN_OBJECT, UNKNOWN_STRING } from './support/unknown';
import type { PlainResource } from '../src/core/resources';

/**
 * During `pulumi preview` the engine sends sentinels for values that depend on resources not yet
 * created, and @pulumi/policy wraps props in unknownCheckingProxy. These tests feed the same sentinels
 * through the same proxy (the evaluator applies it, as the analyzer does).
 */
const proxied = (r: PlainResource): PlainResource => ({
  ...r,
  props: unknownCheckingProxy(r.props) as Record<string, unknown>,
});

describe('unknown values', () => {
  it('peek and isSet read through the proxy without throwing', () => {
    const props = unknownCheckingProxy({
      token: UNKNOWN_STRING,
      empty: '',
      list: [UNKNOWN_STRING],
    }) as Record<string, unknown>;
    expect(peek(() => props.token)).toBe(UNKNOWN);
    expect(isSet(props, 'token')).toBe(true);
    expect(isSet(props, 'empty')).toBe(false);
    expect(isSet(props, 'missing')).toBe(false);
    expect(() => props.token).toThrow(/can't be known during preview/);
  });

  it('an auth token from random.RandomPassword is unknown in preview and still counts as set', () => {
    expect(checkRedisEncryption(proxied(redisGroup({ authToken: UNKNOWN_STRING })))).toEqual([]);
  });

  it('alarm actions pointing at a topic not yet created count as actions', () => {
    const alarm = resource('aws:cloudwatch/metricAlarm:MetricAlarm', 'a', { alarmActions: [UNKNOWN_STRING] });
    expect(checkAlarmActions(proxied(alarm))).toEqual([]);
    const whole = resource('aws:cloudwatch/metricAlarm:MetricAlarm', 'a', { alarmActions: UNKNOWN_ARRAY });
    expect(checkAlarmActions(proxied(whole))).toEqual([]);
  });

  it('a value check on an unknown number throws the engine error rather than passing', () => {
    const g = gpuNodeGroup({ scalingConfig: { minSize: 0, maxSize: UNKNOWN_NUMBER } });
    expect(() =>
      checkGpuNodeGroup(proxied(g), {
        maxNodes: 16,
        maxGpus: 64,
        allowedInstanceFamilies: ['g5'],
        gpuAmiTypes: ['AL2023_x86_64_NVIDIA'],
      }),
    ).toThrow(/number value at \.scalingConfig\.maxSize can't be known during preview/);
  });

  it('through the pack: unknown presence values pass, an unknown threshold becomes an advisory note', async () => {
    const resources = [
      ...goodStack().filter(
        (r) =>
          ![
            'aws:elasticache/replicationGroup:ReplicationGroup',
            'aws:eks/nodeGroup:NodeGroup',
            'aws:budgets/budget:Budget',
          ].includes(r.type),
      ),
      redisGroup({ authToken: UNKNOWN_STRING, tags: UNKNOWN_OBJECT }),
      gpuNodeGroup({ scalingConfig: { minSize: 0, maxSize: UNKNOWN_NUMBER } }),
      { ...budget(), props: { ...budget().props, tags: costTags() } },
    ];
    const violations = await runPack(resources);
    expect(violations.map((v) => [v.policyName, v.enforcementLevel])).toEqual([
      ['gpu-node-groups', 'advisory'],
    ]);
    expect(lines(violations)[0]).toBe(
      "gpu-node-groups: can't run policy 'gpu-node-groups' during preview: number value at .scalingConfig.maxSize can't be known during preview",
    );
  });
});
