import * as ort from 'onnxruntime-node';
import { OptimizeError } from './errors';

/**
 * onnxruntime's offline-optimised graph at the `extended` level: constant folding, redundant-node
 * removal and operator fusions that every CPU runs. Not `all`, whose layout transforms are tied to
 * the building machine's instruction set, since this file is meant to be deployed elsewhere.
 */
export async function optimiseGraph(input: string, output: string): Promise<void> {
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(input, {
      graphOptimizationLevel: 'extended',
      optimizedModelFilePath: output,
      intraOpNumThreads: 1,
      interOpNumThreads: 1,
      executionProviders: ['cpu'],
      logSeverityLevel: 4,
    });
  } catch (e) {
    throw new OptimizeError(`${input}: onnxruntime cannot load it: ${(e as Error).message.split('\n')[0]}`);
  }
  await session.release();
}
