import * as aws from '@pulumi/aws';
import {
  booleanSetting,
  environments,
  numberSetting,
  resourceGuardrail,
  stackGuardrail,
} from '../core/define';
import { errorBudgetRatio, type Sla } from '@ml-platform/stack-config';
import { asArray, asRecord, at, type PlainResource, type Props } from '../core/resources';
import { isSet, peek, UNKNOWN } from '../core/unknown';
import { alertmanagerConfigs, integrations, receiversFor } from './alertmanager';
import { comparisonThresholds, durationSeconds, latencyUnitMs, quantiles } from './promql';

export const PROMETHEUS_RULE_TYPE = 'kubernetes:monitoring.coreos.com/v1:PrometheusRule';
export const METRIC_ALARM_TYPE = 'aws:cloudwatch/metricAlarm:MetricAlarm';

export interface SlaAlertSettings {
  /** Multi-window burn-rate alerts fire at N x the error budget; the fastest allowed N. */
  maxBurnRate: number;
  errorAlertPattern: string;
  maxLatencyForMinutes: number;
  requireNotificationRoute: boolean;
}

export interface AlertRule {
  alert: string;
  expr: string;
  /** `expr` with recording rules inlined: what the alert measures. */
  meaning: string;
  for?: string;
  labels: Record<string, string>;
  source: PlainResource;
}

function ruleEntries(resources: PlainResource[]): { rule: Props; source: PlainResource }[] {
  return resources
    .filter((r) => r.type === PROMETHEUS_RULE_TYPE)
    .flatMap((r) =>
      asArray(at(r.props, 'spec', 'groups')).flatMap((g) =>
        asArray(asRecord(g)?.rules).map((x) => ({ rule: asRecord(x) ?? {}, source: r })),
      ),
    );
}

/**
 * Alerting rules with recording rules inlined into `meaning`, so an alert on
 * `inference:latency_p99_seconds:5m > 0.1` is recognised by the histogram_quantile it records.
 * Thresholds are still read from the alert's own `expr`.
 */
export function alertRules(resources: PlainResource[]): AlertRule[] {
  const entries = ruleEntries(resources);
  const records = entries
    .filter(({ rule }) => typeof rule.record === 'string' && typeof rule.expr === 'string')
    .map(({ rule }) => ({ record: rule.record as string, expr: rule.expr as string }))
    .sort((a, b) => b.record.length - a.record.length);
  const inline = (expr: string) =>
    records.reduce((text, r) => text.split(r.record).join(`(${r.expr})`), expr);
  return entries
    .filter(({ rule }) => typeof rule.alert === 'string' && typeof rule.expr === 'string')
    .map(({ rule, source }) => ({
      alert: rule.alert as string,
      expr: rule.expr as string,
      meaning: inline(rule.expr as string),
      for: typeof rule.for === 'string' ? rule.for : undefined,
      labels: (asRecord(rule.labels) ?? {}) as Record<string, string>,
      source,
    }));
}

type Finding = { message: string; urn?: string };

function fmt(n: number): string {
  return Number(n.toPrecision(6)).toString();
}

function checkLatencyAlert(
  rules: AlertRule[],
  sla: Sla,
  s: SlaAlertSettings,
): { findings: Finding[]; used: AlertRule[] } {
  const p99 = rules.filter((r) => quantiles(r.meaning).some((q) => q >= 0.99));
  if (p99.length === 0) {
    return {
      findings: [{ message: 'no PrometheusRule alert on p99 latency (histogram_quantile(0.99, ...))' }],
      used: [],
    };
  }
  const findings: Finding[] = [];
  const described: string[] = [];
  const good = p99.filter((r) => {
    const unit = latencyUnitMs(r.meaning);
    const thresholds = comparisonThresholds(r.expr);
    if (unit === undefined || thresholds.length === 0) {
      findings.push({
        urn: r.source.urn,
        message: `alert ${r.alert}: cannot read a latency threshold from "${r.expr}" (expected "<..._seconds_bucket quantile> > <number>")`,
      });
      return false;
    }
    const ms = Math.max(...thresholds) * unit;
    const forS = r.for === undefined ? 0 : durationSeconds(r.for);
    described.push(`${r.alert} > ${fmt(ms)}ms for ${r.for ?? '0s'}`);
    return ms <= sla.p99LatencyMs + 1e-9 && forS !== undefined && forS <= s.maxLatencyForMinutes * 60;
  });
  if (good.length === 0 && findings.length === 0) {
    findings.push({
      urn: p99[0].source.urn,
      message:
        `p99 latency alert is looser than the SLA: ${described.join('; ')}; the SLA p99 is ` +
        `${sla.p99LatencyMs}ms and the alert must fire within ${s.maxLatencyForMinutes}m`,
    });
  }
  return { findings, used: good };
}

function checkErrorAlert(
  rules: AlertRule[],
  sla: Sla,
  s: SlaAlertSettings,
): { findings: Finding[]; used: AlertRule[] } {
  let pattern: RegExp;
  try {
    pattern = new RegExp(s.errorAlertPattern, 'i');
  } catch (e) {
    return { findings: [{ message: `setting errorAlertPattern: ${(e as Error).message}` }], used: [] };
  }
  const errorRules = rules.filter((r) => pattern.test(r.alert));
  const budget = errorBudgetRatio(sla);
  const limit = budget * s.maxBurnRate;
  if (errorRules.length === 0) {
    return {
      findings: [
        {
          message: `no PrometheusRule error-rate or burn-rate alert (alert name matching /${s.errorAlertPattern}/i)`,
        },
      ],
      used: [],
    };
  }
  const described: string[] = [];
  const good = errorRules.filter((r) => {
    const thresholds = comparisonThresholds(r.expr);
    if (thresholds.length === 0) return false;
    described.push(`${r.alert} > ${thresholds.map(fmt).join('/')}`);
    return Math.max(...thresholds) <= limit + 1e-12;
  });
  if (good.length > 0) return { findings: [], used: good };
  return {
    used: [],
    findings: [
      {
        urn: errorRules[0].source.urn,
        message:
          `error alerts are looser than the SLA: ${described.join('; ') || 'no numeric threshold found'}; the SLA error budget is ` +
          `${fmt(budget)} (${sla.errorRatePct}%), so a burn-rate alert may fire at no more than ${s.maxBurnRate}x = ${fmt(limit)}`,
      },
    ],
  };
}

function subscribedTopics(resources: PlainResource[]): unknown[] {
  return resources
    .filter((r) => r.type === 'aws:sns/topicSubscription:TopicSubscription')
    .map((r) => peek(() => r.props.topic));
}

/** Where a rule's alerts end up, or why they reach nobody. */
function checkRoute(rule: AlertRule, resources: PlainResource[]): string | undefined {
  const configs = alertmanagerConfigs(resources);
  if (configs.length === 0) {
    return 'no Alertmanager config in the stack (kube-prometheus-stack values.alertmanager.config or an AlertmanagerConfig)';
  }
  const labels = { ...rule.labels, alertname: rule.alert };
  for (const cfg of configs) {
    for (const name of receiversFor(cfg.route, labels)) {
      const receiver = cfg.receivers.find((r) => r.name === name);
      for (const integration of receiver ? integrations(receiver) : []) {
        if (!/sns/i.test(integration.kind)) return undefined;
        if (snsTargetSubscribed(integration.config, resources)) return undefined;
      }
    }
  }
  return `alert ${rule.alert} routes to no receiver with a notification target (${configs.map((c) => c.source).join(', ')})`;
}

function snsTargetSubscribed(config: Props, resources: PlainResource[]): boolean {
  const topics = subscribedTopics(resources);
  const key = ['topic_arn', 'topicARN', 'topicArn'].find((k) => isSet(config, k));
  if (key === undefined) return false;
  const arn = peek(() => config[key]);
  // Before the topic exists its ARN is unknown: any subscription in the stack is the best evidence.
  return arn === UNKNOWN ? topics.length > 0 : topics.includes(arn) || topics.includes(UNKNOWN);
}

/**
 * SLA alerting: a p99 alert and an error/burn-rate alert no looser than the SLA, each routed to a
 * receiver that reaches a person.
 */
export function checkSlaAlerts(resources: PlainResource[], sla: Sla, s: SlaAlertSettings): Finding[] {
  const rules = alertRules(resources);
  const latency = checkLatencyAlert(rules, sla, s);
  const errors = checkErrorAlert(rules, sla, s);
  const findings = [...latency.findings, ...errors.findings];
  for (const rule of [latency.used[0], errors.used[0]]) {
    if (rule === undefined || !s.requireNotificationRoute) continue;
    const unrouted = checkRoute(rule, resources);
    if (unrouted !== undefined) findings.push({ urn: rule.source.urn, message: unrouted });
  }
  return findings;
}

/** A CloudWatch alarm without actions changes colour on a console nobody watches. */
export function checkAlarmActions(alarm: PlainResource): string[] {
  const p = alarm.props;
  if (p.actionsEnabled === false) return ['actionsEnabled is false'];
  const actions = peek(() => p.alarmActions);
  if (actions !== UNKNOWN && asArray(actions).length === 0) {
    return ['no alarmActions: the alarm notifies nobody (add the SNS alerts topic)'];
  }
  return [];
}

export const slaAlertsPolicy = stackGuardrail(
  {
    name: 'sla-alerts',
    description:
      'p99 latency and error/burn-rate alerts exist, are no looser than the SLA, and route to a receiver that reaches someone.',
    severity: 'high',
    enforcementLevel: 'mandatory',
    remediation:
      'Generate the PrometheusRule from the stack SLA (ml-platform:sla) instead of hand-set numbers, and route ' +
      'the alerts in Alertmanager to a receiver with an SNS topic (with a subscription), webhook or email config.',
    settings: {
      maxBurnRate: numberSetting(
        14.4,
        'Fastest burn rate an error alert may wait for, as a multiple of the error budget.',
        1,
      ),
      errorAlertPattern: {
        type: 'string' as const,
        default: 'error|burn',
        description: 'Case-insensitive regex on the alert name that marks error-rate/burn-rate alerts.',
      },
      maxLatencyForMinutes: numberSetting(15, 'Longest `for:` a p99 latency alert may wait before firing.'),
      environments: environments(['dev', 'staging', 'prod', 'local'], 'Environments the policy applies to.'),
      requireNotificationRoute: booleanSetting(
        true,
        'Require the SLA alerts to reach a receiver with an integration (off for a laptop stack).',
      ),
    },
  },
  (resources, { settings, context: ctx, notApplicable }) => {
    const { config } = ctx();
    if (!settings.environments.includes(config.environment))
      notApplicable(`not required in ${config.environment}`);
    return checkSlaAlerts(resources, config.sla, settings);
  },
);

export const cloudwatchAlarmActionsPolicy = resourceGuardrail(
  {
    name: 'cloudwatch-alarm-actions',
    description: 'CloudWatch alarms notify someone: actions enabled and at least one alarm action.',
    severity: 'medium',
    enforcementLevel: 'mandatory',
    remediation: 'Set alarmActions (and okActions) to the stack alerts SNS topic.',
    settings: {},
  },
  aws.cloudwatch.MetricAlarm,
  (alarm) => checkAlarmActions(alarm),
);
