import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';

/**
 * A regional WAF ACL for the ALB with one rate-based rule: a client IP that sends more than
 * `limitPer5Min` requests in any 5 minutes is blocked until it slows down. This sits in front of the
 * service's own per-key limiter and stops floods before they cost a pod anything.
 */
export function rateLimitWebAcl(
  name: string,
  limitPer5Min: number,
  parent: pulumi.Resource,
  alarm?: { region: string; topicArn: pulumi.Input<string> },
): aws.wafv2.WebAcl {
  if (!(limitPer5Min >= 100))
    throw new Error(`WAF ${name}: limitPer5Min must be >= 100 (the AWS minimum), got ${limitPer5Min}`);
  const visibility = (metricName: string) => ({
    cloudwatchMetricsEnabled: true,
    metricName,
    sampledRequestsEnabled: true,
  });
  const ruleMetric = `${name}-rate-limit`;
  const acl = new aws.wafv2.WebAcl(
    name,
    {
      scope: 'REGIONAL',
      defaultAction: { allow: {} },
      rules: [
        {
          name: 'rate-limit-per-ip',
          priority: 1,
          action: { block: {} },
          statement: {
            rateBasedStatement: { limit: limitPer5Min, aggregateKeyType: 'IP', evaluationWindowSec: 300 },
          },
          visibilityConfig: visibility(ruleMetric),
        },
      ],
      visibilityConfig: visibility(name),
    },
    { parent },
  );
  if (alarm) {
    // More blocked in 5 minutes than one client may send: a flood, or a limit sized below real traffic.
    new aws.cloudwatch.MetricAlarm(
      `${name}-blocked`,
      {
        namespace: 'AWS/WAFV2',
        metricName: 'BlockedRequests',
        dimensions: { WebACL: name, Rule: ruleMetric, Region: alarm.region },
        statistic: 'Sum',
        period: 300,
        evaluationPeriods: 1,
        threshold: limitPer5Min,
        comparisonOperator: 'GreaterThanThreshold',
        treatMissingData: 'notBreaching',
        alarmDescription: `WAF rate rule blocked more than ${limitPer5Min} requests in 5 minutes`,
        alarmActions: [alarm.topicArn],
        okActions: [alarm.topicArn],
      },
      { parent },
    );
  }
  return acl;
}
