/** Node label every managed pool carries: `system` or `gpu`. kube-state-metrics exports it as `label_ml_platform_pool`. */
export const POOL_LABEL = 'ml-platform/pool';
export const POOL_METRIC_LABEL = 'label_ml_platform_pool';

/** GPU nodes repel everything that does not ask for a GPU. */
export const GPU_TAINT = { key: 'nvidia.com/gpu', value: 'true', effect: 'NoSchedule' } as const;
export const GPU_TOLERATION = { key: GPU_TAINT.key, operator: 'Exists', effect: GPU_TAINT.effect } as const;
export const GPU_RESOURCE = 'nvidia.com/gpu';

export const systemNodeSelector = { [POOL_LABEL]: 'system' } as const;
export const gpuNodeSelector = { [POOL_LABEL]: 'gpu' } as const;
