import path from 'node:path';
import * as protobuf from 'protobufjs';
import { PROTO_DIR } from '../src/grpc/proto';

/**
 * Field numbers of the ModelConfig and ModelStatistics messages as Triton's grpc_service.proto and model_config.proto
 * define them: a client compiled against those reads whatever numbers we send, so a renumbered or
 * retyped field here would be read as another one there.
 */
const TRITON: Record<string, Record<string, [number, string]>> = {
  ModelConfigRequest: { name: [1, 'string'], version: [2, 'string'] },
  ModelConfigResponse: { config: [1, 'ModelConfig'] },
  ModelConfig: {
    name: [1, 'string'],
    platform: [2, 'string'],
    backend: [17, 'string'],
    version_policy: [3, 'ModelVersionPolicy'],
    max_batch_size: [4, 'int32'],
    input: [5, 'ModelInput'],
    output: [6, 'ModelOutput'],
    dynamic_batching: [11, 'ModelDynamicBatching'],
    response_cache: [24, 'ModelResponseCache'],
  },
  ModelInput: { name: [1, 'string'], data_type: [2, 'DataType'], dims: [4, 'int64'] },
  ModelOutput: {
    name: [1, 'string'],
    data_type: [2, 'DataType'],
    dims: [3, 'int64'],
    label_filename: [4, 'string'],
  },
  'ModelVersionPolicy.Latest': { num_versions: [1, 'uint32'] },
  'ModelVersionPolicy.Specific': { versions: [1, 'int64'] },
  ModelVersionPolicy: { latest: [1, 'Latest'], all: [2, 'All'], specific: [3, 'Specific'] },
  ModelDynamicBatching: {
    preferred_batch_size: [1, 'int32'],
    max_queue_delay_microseconds: [2, 'uint64'],
    default_queue_policy: [6, 'ModelQueuePolicy'],
  },
  ModelQueuePolicy: { default_timeout_microseconds: [2, 'uint64'], max_queue_size: [4, 'uint32'] },
  ModelResponseCache: { enable: [1, 'bool'] },
  ModelStatisticsRequest: { name: [1, 'string'], version: [2, 'string'] },
  StatisticDuration: { count: [1, 'uint64'], ns: [2, 'uint64'] },
  InferStatistics: {
    success: [1, 'StatisticDuration'],
    fail: [2, 'StatisticDuration'],
    queue: [3, 'StatisticDuration'],
    compute_input: [4, 'StatisticDuration'],
    compute_infer: [5, 'StatisticDuration'],
    compute_output: [6, 'StatisticDuration'],
    cache_hit: [7, 'StatisticDuration'],
    cache_miss: [8, 'StatisticDuration'],
  },
  InferBatchStatistics: {
    batch_size: [1, 'uint64'],
    compute_input: [2, 'StatisticDuration'],
    compute_infer: [3, 'StatisticDuration'],
    compute_output: [4, 'StatisticDuration'],
  },
  ModelStatistics: {
    name: [1, 'string'],
    version: [2, 'string'],
    last_inference: [3, 'uint64'],
    inference_count: [4, 'uint64'],
    execution_count: [5, 'uint64'],
    inference_stats: [6, 'InferStatistics'],
    batch_stats: [7, 'InferBatchStatistics'],
  },
  ModelStatisticsResponse: { model_stats: [1, 'ModelStatistics'] },
};

describe('inference.proto against Triton', () => {
  const root = new protobuf.Root().loadSync(path.join(PROTO_DIR, 'inference.proto'), { keepCase: true });

  it.each(Object.entries(TRITON))('%s: field numbers and types', (message, fields) => {
    const type = root.lookupType(`inference.${message}`);
    expect(Object.fromEntries(Object.values(type.fields).map((f) => [f.name, [f.id, f.type]]))).toEqual(
      fields,
    );
  });

  it('DataType: TYPE_* values as model_config.proto numbers them', () => {
    const values = root.lookupEnum('inference.DataType').values;
    expect(values).toMatchObject({
      TYPE_BOOL: 1,
      TYPE_UINT8: 2,
      TYPE_INT64: 9,
      TYPE_FP16: 10,
      TYPE_FP32: 11,
      TYPE_STRING: 13,
      TYPE_BF16: 14,
    });
    expect(Object.values(values)).toEqual([...Array(15).keys()]);
  });

  it.each(['ModelConfig', 'ModelStatistics'])('%s is an RPC of inference.GRPCInferenceService', (rpc) => {
    const method = root.lookupService('inference.GRPCInferenceService').methods[rpc];
    expect([method.requestType, method.responseType]).toEqual([`${rpc}Request`, `${rpc}Response`]);
  });
});
