import path from 'node:path';
import * as protoLoader from '@grpc/proto-loader';
import type { ServiceDefinition } from '@grpc/grpc-js';
import * as protobuf from 'protobufjs';

/** service/proto: the wire contract, read at start-up (no generated code to keep in step). */
export const PROTO_DIR = path.resolve(__dirname, '..', '..', 'proto');

/**
 * proto-loader's object form: field names as on the wire (snake_case, like every OIP client's
 * JSON), int64 as decimal strings (no precision lost above 2^53), bytes as Buffers, enums by name,
 * a oneof's chosen field named in `parameter_choice`.
 */
export const LOADER_OPTIONS: protoLoader.Options = {
  keepCase: true,
  longs: String,
  enums: String,
  defaults: false,
  oneofs: true,
  includeDirs: [PROTO_DIR],
};

export function loadProtos(): protoLoader.PackageDefinition {
  return protoLoader.loadSync(['inference.proto', 'health.proto'], LOADER_OPTIONS);
}

/**
 * ModelInfer, the hot RPC, without proto-loader's object conversion: its deserializer decodes and
 * then copies the message into a plain object (toObject), its serializer copies the answer into a
 * message (fromObject) before encoding. Decoded messages already read like the plain objects
 * (field names kept, bytes as Buffers, a oneof's choice as a getter); int64 values are Longs, which
 * Number() and BigInt() read through their decimal toString. Encoding takes the plain answer as is.
 */
export function withFastModelInfer(definition: protoLoader.PackageDefinition): ServiceDefinition {
  const root = new protobuf.Root().loadSync(path.join(PROTO_DIR, 'inference.proto'), { keepCase: true });
  const request = root.lookupType('inference.ModelInferRequest');
  const response = root.lookupType('inference.ModelInferResponse');
  const service = definition['inference.GRPCInferenceService'] as unknown as ServiceDefinition;
  return {
    ...service,
    ModelInfer: {
      ...service.ModelInfer,
      requestDeserialize: (bytes: Buffer) => request.decode(bytes),
      responseSerialize: (message: unknown) => {
        const bytes = response.encode(message as protobuf.Message).finish();
        return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      },
    },
  };
}

/** A map<string, InferParameter> entry as proto-loader hands it over (and accepts it back). */
export interface InferParameterMessage {
  parameter_choice?: 'bool_param' | 'int64_param' | 'string_param' | 'double_param' | 'uint64_param';
  bool_param?: boolean;
  int64_param?: string | number;
  string_param?: string;
  double_param?: number;
  uint64_param?: string | number;
}

export interface TensorContentsMessage {
  bool_contents?: boolean[];
  int_contents?: number[];
  int64_contents?: (string | number)[];
  uint_contents?: number[];
  uint64_contents?: (string | number)[];
  fp32_contents?: number[];
  fp64_contents?: number[];
  bytes_contents?: Buffer[];
}

export interface InferInputTensorMessage {
  name?: string;
  datatype?: string;
  shape?: (string | number)[];
  parameters?: Record<string, InferParameterMessage>;
  contents?: TensorContentsMessage;
}

export interface ModelInferRequestMessage {
  model_name?: string;
  model_version?: string;
  id?: string;
  parameters?: Record<string, InferParameterMessage>;
  inputs?: InferInputTensorMessage[];
  outputs?: { name?: string; parameters?: Record<string, InferParameterMessage> }[];
  raw_input_contents?: Buffer[];
}

export interface InferOutputTensorMessage {
  name: string;
  datatype: string;
  shape: number[];
  contents?: TensorContentsMessage;
}

export interface ModelInferResponseMessage {
  model_name: string;
  model_version: string;
  id?: string;
  outputs: InferOutputTensorMessage[];
  raw_output_contents?: Buffer[];
}
