import * as ort from 'onnxruntime-node';
import type { EngineLogger } from '../core/logger';
import type { ModelConfig } from '../repository/model-config';

export type SessionConfig = ModelConfig['session'];

export interface OpenedSession {
  session: ort.InferenceSession;
  /** The execution provider actually in use. */
  provider: 'cpu' | 'cuda';
}

/**
 * Opens an onnxruntime session with the config's threads, optimisation level and providers. CUDA is
 * tried when configured; a build or machine without it falls back to CPU with a warning rather than
 * failing the load, so that one config serves both the GPU and the CPU image.
 */
export async function openSession(
  modelPath: string,
  config: SessionConfig,
  logger: EngineLogger,
): Promise<OpenedSession> {
  ort.env.logLevel = 'fatal';
  const base: ort.InferenceSession.SessionOptions = {
    intraOpNumThreads: config.intra_op_num_threads,
    interOpNumThreads: config.inter_op_num_threads,
    graphOptimizationLevel: config.graph_optimization_level,
    // onnxruntime prints its own coloured lines to stderr, which would break the JSON log stream;
    // every failure it reports also comes back as an exception, which the engine words and logs.
    logSeverityLevel: 4,
  };
  if (config.execution_providers.includes('cuda')) {
    try {
      const session = await ort.InferenceSession.create(modelPath, {
        ...base,
        executionProviders: ['cuda', 'cpu'],
      });
      return { session, provider: 'cuda' };
    } catch (e) {
      if (!isProviderUnavailable(e)) throw e;
      logger.warn(
        { model: modelPath, error: (e as Error).message.split('\n')[0] },
        'CUDA execution provider unavailable; falling back to CPU',
      );
    }
  }
  const session = await ort.InferenceSession.create(modelPath, { ...base, executionProviders: ['cpu'] });
  return { session, provider: 'cpu' };
}

/** The model itself may be broken; only a missing provider justifies retrying on CPU. */
function isProviderUnavailable(e: unknown): boolean {
  return /cuda|provider|shared library/i.test((e as Error).message ?? '');
}
