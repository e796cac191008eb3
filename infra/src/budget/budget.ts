import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { budgetNotifications, costAllocationTagFilter } from './notifications';

export interface BudgetArgs {
  /** Monthly cost limit in USD; must be positive. */
  monthlyLimitUsd: number;
  /** Percentages of the limit that trigger an ACTUAL notification (a FORECASTED one at 100% is always added). */
  alertThresholdsPct: number[];
  emails: string[];
  /** Cost allocation tag key/value the budget counts; activate the key in the Billing console once. */
  costAllocationTag: { key: string; value: string };
}

/** An AWS Budgets monthly cost budget for the resources carrying this stack's cost allocation tag. */
export class Budget extends pulumi.ComponentResource {
  readonly budget: aws.budgets.Budget;

  constructor(name: string, args: BudgetArgs, opts?: pulumi.ComponentResourceOptions) {
    super('ml-platform:budget:Budget', name, {}, opts);
    if (!(args.monthlyLimitUsd > 0))
      throw new Error(`Budget ${name}: monthlyLimitUsd must be > 0, got ${args.monthlyLimitUsd}`);
    this.budget = new aws.budgets.Budget(
      name,
      {
        budgetType: 'COST',
        timeUnit: 'MONTHLY',
        limitAmount: args.monthlyLimitUsd.toFixed(2),
        limitUnit: 'USD',
        costFilters: [
          {
            name: 'TagKeyValue',
            values: [costAllocationTagFilter(args.costAllocationTag.key, args.costAllocationTag.value)],
          },
        ],
        notifications: budgetNotifications(args.alertThresholdsPct, args.emails),
      },
      { parent: this },
    );
    this.registerOutputs({ budgetName: this.budget.name });
  }
}
