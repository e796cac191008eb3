import type { TensorSpec } from '../core/tensor';
import type { Datatype } from '@ml-platform/contract/names';
import type { ModelConfig } from './model-config';

/** A model version's public signature: what requests are validated against and metadata reports. */
export interface ModelSignature {
  /** Full shapes; when maxBatchSize > 0 the first dimension is the batch dimension (-1). */
  inputs: TensorSpec[];
  /** Only the outputs the config exposes. */
  outputs: TensorSpec[];
  maxBatchSize: number;
}

/** One input or output as the ONNX session declares it. */
export interface OnnxValueSpec {
  name: string;
  /** Undefined for non-tensor values (sequences, maps) and element types the protocol lacks. */
  datatype?: Datatype;
  /** What onnxruntime calls the type, for error messages. */
  typeName: string;
  /** -1 for symbolic or unknown dimensions. */
  shape: number[];
}

export interface OnnxIo {
  inputs: OnnxValueSpec[];
  outputs: OnnxValueSpec[];
}

type TensorConfig = NonNullable<ModelConfig['input']>[number];

/**
 * Derives the signature from the ONNX model, narrowed by the config: the config may fix dynamic
 * dimensions and hide outputs, but anything that contradicts the model is a load error. Pure.
 */
export function resolveSignature(io: OnnxIo, config: ModelConfig): ModelSignature {
  const maxBatchSize = config.max_batch_size;
  checkConfiguredNames('input', io.inputs, config.input);
  checkConfiguredNames('output', io.outputs, config.output);
  const inputs = narrow('input', io.inputs, config.input, maxBatchSize);
  const shown = config.output && new Set(config.output.map((c) => c.name));
  const visible = shown ? io.outputs.filter((o) => shown.has(o.name)) : io.outputs;
  const outputs = narrow('output', visible, config.output, maxBatchSize);
  if (outputs.length === 0) throw new Error('config.json output: hides every output of the model');
  return { inputs, outputs, maxBatchSize };
}

function checkConfiguredNames(
  kind: 'input' | 'output',
  declared: OnnxValueSpec[],
  configured: TensorConfig[] | undefined,
): void {
  const names = new Set(declared.map((d) => d.name));
  const listed = new Set<string>();
  for (const c of configured ?? []) {
    if (listed.has(c.name)) throw new Error(`config.json ${kind} '${c.name}': listed more than once`);
    listed.add(c.name);
    if (!names.has(c.name)) {
      throw new Error(
        `config.json ${kind} '${c.name}': the ONNX model has no ${kind} of that name (it has ${declared.map((d) => `'${d.name}'`).join(', ') || 'none'})`,
      );
    }
  }
}

function narrow(
  kind: 'input' | 'output',
  declared: OnnxValueSpec[],
  configured: TensorConfig[] | undefined,
  maxBatchSize: number,
): TensorSpec[] {
  const byName = new Map(configured?.map((c) => [c.name, c]));
  return declared.map((d) => narrowOne(kind, d, byName.get(d.name), maxBatchSize));
}

function narrowOne(
  kind: 'input' | 'output',
  declared: OnnxValueSpec,
  configured: TensorConfig | undefined,
  maxBatchSize: number,
): TensorSpec {
  const label = `${kind} '${declared.name}'`;
  if (!declared.datatype) {
    const hint = kind === 'output' ? '; hide it by listing the other outputs in config.json output' : '';
    throw new Error(`${label}: type ${declared.typeName} is not a tensor type the protocol supports${hint}`);
  }
  if (configured?.datatype && configured.datatype !== declared.datatype) {
    throw new Error(
      `config.json ${label}: datatype ${configured.datatype} contradicts the ONNX model, which declares ${declared.datatype}`,
    );
  }
  const shape = [...declared.shape];
  const first = maxBatchSize > 0 ? 1 : 0;
  if (maxBatchSize > 0) {
    if (shape.length === 0) {
      throw new Error(`${label}: is a scalar, but max_batch_size ${maxBatchSize} needs a batch dimension`);
    }
    if (shape[0] !== -1) {
      throw new Error(
        `${label}: max_batch_size ${maxBatchSize} needs a dynamic first (batch) dimension, but the ONNX model fixes it to ${shape[0]}; set max_batch_size 0 for a model without a batch dimension`,
      );
    }
  }
  if (configured?.dims) {
    const dims = configured.dims;
    const modelDims = shape.slice(first);
    const what = maxBatchSize > 0 ? ' (without the batch dimension)' : '';
    if (dims.length !== modelDims.length) {
      throw new Error(
        `config.json ${label}: dims [${dims.join(',')}] has rank ${dims.length}, but the ONNX model's shape${what} is [${modelDims.join(',')}] (rank ${modelDims.length})`,
      );
    }
    dims.forEach((want, i) => {
      const have = modelDims[i];
      if (want === -1) return;
      if (have !== -1 && have !== want) {
        throw new Error(
          `config.json ${label}: dims [${dims.join(',')}] fixes dimension ${i} to ${want}, but the ONNX model fixes it to ${have}`,
        );
      }
      shape[first + i] = want;
    });
  }
  return { name: declared.name, datatype: declared.datatype, shape };
}
