import type { Datatype } from '@ml-platform/contract/names';
import type { ModelMetadata } from '../core/engine';
import type { TensorSpec } from '../core/tensor';
import type { ModelConfig } from '../repository/model-config';

/** model_config.proto's DataType for each protocol datatype; BYTES is TYPE_STRING there. */
const DATA_TYPE: Record<Datatype, string> = {
  BOOL: 'TYPE_BOOL',
  UINT8: 'TYPE_UINT8',
  UINT16: 'TYPE_UINT16',
  UINT32: 'TYPE_UINT32',
  UINT64: 'TYPE_UINT64',
  INT8: 'TYPE_INT8',
  INT16: 'TYPE_INT16',
  INT32: 'TYPE_INT32',
  INT64: 'TYPE_INT64',
  FP16: 'TYPE_FP16',
  FP32: 'TYPE_FP32',
  FP64: 'TYPE_FP64',
  BYTES: 'TYPE_STRING',
};

/**
 * A model's configuration as Triton's ModelConfig message carries it (proto-loader's object form):
 * the tensors as the served version's metadata has them, dims without the batch dimension when
 * the model batches, as Triton reports them, and the settings of config.json that the message has
 * fields for. The rest of config.json (cache TTL, fallback, rollout...) has no field there.
 */
export function modelConfigMessage(config: ModelConfig, metadata: ModelMetadata) {
  const dims = (t: TensorSpec) => (config.max_batch_size > 0 ? t.shape.slice(1) : t.shape);
  const labels = new Map(config.output?.map((o) => [o.name, o.label_filename]));
  const batching = config.dynamic_batching;
  return {
    name: config.name,
    platform: config.platform,
    backend: 'onnxruntime',
    version_policy: config.version_policy,
    max_batch_size: config.max_batch_size,
    input: metadata.inputs.map((t) => ({
      name: t.name,
      data_type: DATA_TYPE[t.datatype],
      dims: dims(t),
    })),
    output: metadata.outputs.map((t) => ({
      name: t.name,
      data_type: DATA_TYPE[t.datatype],
      dims: dims(t),
      label_filename: labels.get(t.name) ?? '',
    })),
    ...(batching && {
      dynamic_batching: {
        preferred_batch_size: batching.preferred_batch_size,
        max_queue_delay_microseconds: batching.max_queue_delay_microseconds,
        default_queue_policy: {
          max_queue_size: batching.max_queue_size,
          default_timeout_microseconds: batching.default_timeout_microseconds ?? 0,
        },
      },
    }),
    response_cache: { enable: config.cache.enabled },
  };
}
