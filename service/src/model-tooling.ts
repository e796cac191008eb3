/**
 * What offline model tooling (models/optimize, `npm run model:optimize`) uses to read a model
 * repository and open models exactly as the service does. The serving path never imports the tooling.
 */
export { silentLogger } from './core/logger';
export { readModelConfig } from './repository/config-file';
export { resolveSignature, type ModelSignature } from './repository/signature';
export { parseVersionDir, selectVersions } from './repository/version-policy';
export { openInline, type OpenedModel } from './runtime/ort-runner';
