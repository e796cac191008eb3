/** The Open Inference Protocol wire schemas in zod: the documented contract of the HTTP API. */
export * from './registry';
export * from './tensors';
export * from './infer';
export * from './metadata';
export * from './repository';
export * from './predict';
export * from './console';
export * from './rollout';
