import { integrations, receiversFor } from '../src/checks/alertmanager';
import { comparisonThresholds, durationSeconds, latencyUnitMs, quantiles } from '../src/checks/promql';
import { imageReference } from '../src/checks/workload-hardening';
import { instanceFamily } from '../src/checks/gpu-node-groups';
import { isTaggableAwsType } from '../src/core/aws-taggable';
import { stackOfUrn } from '../src/core/resources';

describe('promql reading', () => {
  it('reads the thresholds of every comparison, evaluating products', () => {
    expect(comparisonThresholds('(a:rate1h > 0.0144 and a:rate5m > 0.0144) or (b > (6 * 0.001))')).toEqual([
      0.0144, 0.0144, 0.006,
    ]);
    expect(comparisonThresholds('x >= bool 1e-3')).toEqual([0.001]);
    expect(comparisonThresholds('max(x) < 1')).toEqual([]);
    expect(comparisonThresholds('x > 1 / 4')).toEqual([0.25]);
  });
  it('finds quantiles and latency units', () => {
    expect(quantiles('histogram_quantile(0.99, sum by (le) (rate(x_seconds_bucket[5m])))')).toEqual([0.99]);
    expect(latencyUnitMs('rate(http_duration_seconds_bucket[5m])')).toBe(1000);
    expect(latencyUnitMs('inference:latency_p99_seconds:5m')).toBe(1000);
    expect(latencyUnitMs('rate(http_duration_ms_bucket[5m])')).toBe(1);
    expect(latencyUnitMs('rate(http_duration_bucket[5m])')).toBeUndefined();
  });
  it('parses Prometheus durations', () => {
    expect(durationSeconds('5m')).toBe(300);
    expect(durationSeconds('1h30m')).toBe(5400);
    expect(durationSeconds('5 minutes')).toBeUndefined();
  });
});

describe('alertmanager routing', () => {
  const route = {
    receiver: 'default',
    routes: [
      { match: { severity: 'page' }, receiver: 'pager', continue: true },
      { matchers: ['slo=~"error-rate|latency-p99"', 'team!="other"'], receiver: 'slo' },
      { match_re: { severity: 'ticket|info' }, receiver: 'tickets' },
    ],
  };
  it('walks the tree like Alertmanager: first match wins unless continue, parent as fallback', () => {
    expect(receiversFor(route, { severity: 'page', slo: 'latency-p99' })).toEqual(['pager', 'slo']);
    expect(receiversFor(route, { severity: 'ticket' })).toEqual(['tickets']);
    expect(receiversFor(route, { severity: 'ticket', slo: 'error-rate', team: 'other' })).toEqual([
      'tickets',
    ]);
    expect(receiversFor(route, { severity: 'none' })).toEqual(['default']);
  });
  it('understands the AlertmanagerConfig CRD matcher objects', () => {
    const crd = {
      receiver: 'null',
      routes: [{ matchers: [{ name: 'severity', value: 'page', matchType: '=' }], receiver: 'sns' }],
    };
    expect(receiversFor(crd, { severity: 'page' })).toEqual(['sns']);
  });
  it('lists integrations in both spellings', () => {
    expect(
      integrations({ name: 'x', sns_configs: [{ topic_arn: 'a' }], webhookConfigs: [{ url: 'u' }] }).map(
        (i) => i.kind,
      ),
    ).toEqual(['sns_configs', 'webhookConfigs']);
    expect(integrations({ name: 'null' })).toEqual([]);
  });
});

describe('small readers', () => {
  it('image references keep registry ports apart from tags', () => {
    expect(imageReference('registry:5000/svc')).toEqual({ tag: undefined, digest: undefined });
    expect(imageReference('registry:5000/svc:1.2')).toEqual({ tag: '1.2', digest: undefined });
    expect(imageReference('svc@sha256:abc')).toEqual({ tag: undefined, digest: 'sha256:abc' });
  });
  it('instance families and stack names', () => {
    expect(instanceFamily('g6e.2xlarge')).toBe('g6e');
    expect(stackOfUrn('urn:pulumi:staging::ml-platform::aws:sns/topic:Topic::alerts')).toBe('staging');
  });
  it('knows which AWS types take tags from the @pulumi/aws classes themselves', () => {
    expect(isTaggableAwsType('aws:sns/topic:Topic')).toBe(true);
    expect(isTaggableAwsType('aws:eks/nodeGroup:NodeGroup')).toBe(true);
    expect(isTaggableAwsType('aws:sns/topicSubscription:TopicSubscription')).toBe(false);
    expect(isTaggableAwsType('aws:iam/rolePolicyAttachment:RolePolicyAttachment')).toBe(false);
    expect(isTaggableAwsType('aws:nosuch/thing:Thing')).toBe(false);
    expect(isTaggableAwsType('eks:index:Cluster')).toBe(false);
  });
});
