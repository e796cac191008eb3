import { budgetNotifications, costAllocationTagFilter } from '../../src/budget/notifications';

describe('budgetNotifications', () => {
  it('sends ACTUAL at each threshold, in order and once, and FORECASTED at 100%', () => {
    const n = budgetNotifications([100, 50, 80, 50], ['a@example.com']);
    expect(n.map((x) => [x.notificationType, x.threshold])).toEqual([
      ['ACTUAL', 50],
      ['ACTUAL', 80],
      ['ACTUAL', 100],
      ['FORECASTED', 100],
    ]);
    for (const x of n)
      expect(x).toMatchObject({
        comparisonOperator: 'GREATER_THAN',
        thresholdType: 'PERCENTAGE',
        subscriberEmailAddresses: ['a@example.com'],
      });
  });

  it('filters on a user cost allocation tag', () => {
    expect(costAllocationTagFilter('ml-platform-stack', 'prod')).toBe('user:ml-platform-stack$prod');
  });
});
