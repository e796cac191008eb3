import { z } from 'zod';

/**
 * The service-level agreement of one stack. Every number that alarms, autoscaling targets, policy
 * checks, k6 thresholds and the service's load shedding use is derived from this one object.
 */
export const SlaSchema = z
  .object({
    p50LatencyMs: z.number().positive().max(60_000),
    p95LatencyMs: z.number().positive().max(60_000),
    p99LatencyMs: z.number().positive().max(60_000),
    /** Share of requests allowed to fail, in percent (0.1 = one in a thousand). */
    errorRatePct: z.number().gt(0).lt(100),
    availabilityPct: z.number().gt(0).lt(100),
    /** Expected peak load in requests per second, used for load tests and capacity sizing. */
    peakRps: z.number().int().positive().max(1_000_000),
  })
  .strict()
  .superRefine((sla, ctx) => {
    if (sla.p95LatencyMs < sla.p50LatencyMs) {
      ctx.addIssue({
        code: 'custom',
        path: ['p95LatencyMs'],
        message: `must be >= p50LatencyMs (${sla.p50LatencyMs}), got ${sla.p95LatencyMs}`,
      });
    }
    if (sla.p99LatencyMs < sla.p95LatencyMs) {
      ctx.addIssue({
        code: 'custom',
        path: ['p99LatencyMs'],
        message: `must be >= p95LatencyMs (${sla.p95LatencyMs}), got ${sla.p99LatencyMs}`,
      });
    }
  });

export type Sla = z.infer<typeof SlaSchema>;

/** Error budget as a ratio (0.001 for errorRatePct 0.1). */
export function errorBudgetRatio(sla: Sla): number {
  return sla.errorRatePct / 100;
}

/**
 * How long the service works on one request. A request that has waited ten p99s has already broken
 * the SLA; answering it late only steals capacity from requests that can still meet it. Clamped so
 * tiny SLAs still allow a cold cache.
 */
export function requestTimeoutMs(sla: Sla): number {
  return Math.min(30_000, Math.max(1_000, Math.round(sla.p99LatencyMs * 10)));
}
