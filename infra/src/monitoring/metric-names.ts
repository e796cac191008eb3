/**
 * Series and labels the platform's queries use besides the service's own metrics, whose names and
 * labels come from the contract (`@ml-platform/contract/names`).
 */

/** DCGM exporter: GPU utilisation in percent, per GPU. */
export const GPU_UTILISATION = 'DCGM_FI_DEV_GPU_UTIL';

/** Copied from the pod label by the ServiceMonitor so rollout analysis can select canary pods. */
export const POD_TEMPLATE_HASH_METRIC_LABEL = 'rollouts_pod_template_hash';

/** Server-side failures count against the SLA; 4xx are the client's (and 429 is the rate limiter). */
export const ERROR_STATUS_REGEX = '5..';
