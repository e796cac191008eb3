/** Where Alertmanager sends the platform's alerts. */
export interface AlertRouting {
  /** SNS topic ARN (cloud stacks); Alertmanager signs with SigV4 through its Pod Identity role. */
  snsTopicArn?: string;
  region?: string;
  webhookUrl?: string;
}

/**
 * Alertmanager configuration: pages repeat hourly, tickets twice a day, everything grouped per model
 * version; the chart's own Watchdog/InfoInhibitor heartbeats go nowhere. With neither SNS nor a
 * webhook configured the primary receiver is empty, so alerts stay visible in the UI only.
 */
export function alertmanagerConfig(r: AlertRouting): Record<string, unknown> {
  const primary: Record<string, unknown> = { name: 'primary' };
  if (r.snsTopicArn) {
    primary.sns_configs = [
      {
        topic_arn: r.snsTopicArn,
        sigv4: { region: r.region },
        subject: '[{{ .Status | toUpper }}] {{ .CommonLabels.alertname }}',
        attributes: { severity: '{{ .CommonLabels.severity }}' },
        send_resolved: true,
      },
    ];
  }
  if (r.webhookUrl) primary.webhook_configs = [{ url: r.webhookUrl, send_resolved: true }];
  return {
    route: {
      receiver: 'primary',
      group_by: ['alertname', 'namespace', 'model', 'version'],
      group_wait: '30s',
      group_interval: '5m',
      repeat_interval: '4h',
      routes: [
        { matchers: ['alertname =~ "Watchdog|InfoInhibitor"'], receiver: 'null' },
        { matchers: ['severity = "page"'], receiver: 'primary', repeat_interval: '1h' },
        { matchers: ['severity = "ticket"'], receiver: 'primary', repeat_interval: '12h' },
      ],
    },
    inhibit_rules: [
      // A page already says it; the matching ticket for the same model version would be noise.
      {
        source_matchers: ['severity = "page"'],
        target_matchers: ['severity = "ticket"'],
        equal: ['model', 'version'],
      },
    ],
    receivers: [{ name: 'null' }, primary],
  };
}
