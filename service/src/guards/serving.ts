import type { Engine } from '../engine';
import type { Execution, ServingVersion } from '../pipeline/phases';

export type ServingEngine = Pick<Engine, 'modelConfig' | 'servingVersion'>;

/**
 * The version serving this execution and its model config, resolved once per request and never
 * remembered across requests: an unloaded model must not answer from the cache. Throws 404 for an
 * unknown model or version, 503 when none is ready.
 */
export function servingOf(exec: Execution, engine: ServingEngine): ServingVersion {
  if (!exec.serving) {
    const { model, version } = exec.call;
    const config = engine.modelConfig(model);
    exec.serving = { config, version: engine.servingVersion(model, version) };
  }
  return exec.serving;
}
