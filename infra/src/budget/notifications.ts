/** One AWS Budgets notification, in the shape `aws.budgets.Budget` takes. */
export interface BudgetNotificationSpec {
  comparisonOperator: 'GREATER_THAN';
  notificationType: 'ACTUAL' | 'FORECASTED';
  threshold: number;
  thresholdType: 'PERCENTAGE';
  subscriberEmailAddresses: string[];
}

/**
 * An ACTUAL notification at each threshold, so people hear about spend as it happens, plus one
 * FORECASTED at 100%, so they hear about an overrun while there is still time to act on it.
 */
export function budgetNotifications(thresholdsPct: number[], emails: string[]): BudgetNotificationSpec[] {
  const actual = [...new Set(thresholdsPct)]
    .sort((a, b) => a - b)
    .map((threshold) => spec('ACTUAL', threshold, emails));
  return [...actual, spec('FORECASTED', 100, emails)];
}

function spec(
  notificationType: BudgetNotificationSpec['notificationType'],
  threshold: number,
  emails: string[],
): BudgetNotificationSpec {
  return {
    comparisonOperator: 'GREATER_THAN',
    notificationType,
    threshold,
    thresholdType: 'PERCENTAGE',
    subscriberEmailAddresses: [...emails],
  };
}

/** The Cost Explorer filter value for a user-defined cost allocation tag. */
export function costAllocationTagFilter(tagKey: string, tagValue: string): string {
  return `user:${tagKey}$${tagValue}`;
}
