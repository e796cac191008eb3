/**
 * What differs between one process and a node:cluster worker: where /metrics comes from and how
 * far a repository load/unload reaches (one engine, or every worker's).
 */
export interface ClusterOps {
  metricsText(): Promise<string>;
  /** `configJson` replaces config.json for this load (Triton's `parameters.config`). */
  load(model: string, configJson?: string): Promise<void>;
  unload(model: string): Promise<void>;
}
