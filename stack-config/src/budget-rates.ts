import { PRICE_TABLE } from './price-table';
import type { Sla } from './sla';

/** Predictions in a month of the SLA's peak rate. */
export function peakMonthlyPredictions(
  sla: Pick<Sla, 'peakRps'>,
  hoursPerMonth = PRICE_TABLE.hoursPerMonth,
): number {
  return sla.peakRps * 3600 * hoursPerMonth;
}

/**
 * The highest cost per 1000 predictions at which a month of the SLA's peak traffic still fits in the
 * monthly budget: the cost alert's threshold may be no higher (the guardrails check it), or the
 * budget would be spent before the alert says anything is wrong.
 */
export function maxCostPer1kWithinBudget(
  monthlyLimitUsd: number,
  sla: Pick<Sla, 'peakRps'>,
  hoursPerMonth = PRICE_TABLE.hoursPerMonth,
): number {
  return Number(((monthlyLimitUsd * 1000) / peakMonthlyPredictions(sla, hoursPerMonth)).toPrecision(6));
}

/** The monthly run-rate at which the budget's first (lowest) alert threshold is crossed. */
export function firstThresholdUsd(budget: { monthlyLimitUsd: number; alertThresholdsPct: number[] }): number {
  return (budget.monthlyLimitUsd * Math.min(...budget.alertThresholdsPct)) / 100;
}
